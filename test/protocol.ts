// The pool protocol's schemas (server/openapi.json) as validators, for the tests of both sides.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';

export const openapi = JSON.parse(readFileSync(join(process.cwd(), 'server/openapi.json'), 'utf8'));

const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addFormat('date-time', (value: string) => !Number.isNaN(Date.parse(value)));
ajv.addSchema({ ...openapi, $id: 'openapi' });

/** A validator for one of the protocol's component schemas, e.g. `validator('LeaseRequest')`. */
export const validator = (name: string) => ajv.getSchema(`openapi#/components/schemas/${name}`)!;

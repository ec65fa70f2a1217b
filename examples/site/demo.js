// The demo's banner: how this visit was attributed and which number replaced which, live from callswap's events;
// a switcher to visit again as another kind of visitor; a reset that forgets this browser's visitor. Written with
// textContent only, marked data-callswap-ignore so callswap leaves it alone, fixed at the bottom (no layout shift).
(function () {
  var KINDS = [
    ['Google ad', '/?utm_source=google&utm_medium=cpc&utm_campaign=spring&utm_term=emergency+plumber&gclid=demo-'],
    ['Facebook ad', '/?utm_source=facebook&utm_medium=paid_social&utm_campaign=summer'],
    ['Facebook post', '/?fbclid=demo-'],
    ['Google search', '/?utm_source=google&utm_medium=organic'],
    ['Emergency ad', '/emergency.html?utm_source=google&utm_medium=cpc&utm_campaign=emergency&gclid=demo-'],
    ['Direct', '/'],
  ];
  /** +442079460101 → 020 7946 0101, as the site writes its numbers. */
  var national = function (e164) {
    var m = /^\+44(20)(\d{4})(\d{4})$/.exec(e164 || '');
    return m ? '0' + m[1] + ' ' + m[2] + ' ' + m[3] : e164;
  };
  var el = function (tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  };

  var banner = el('aside', 'demo-banner');
  banner.setAttribute('data-callswap-ignore', '');
  banner.setAttribute('aria-label', 'callswap demo');
  var visit = el('p', 'demo-visit', 'Working out where this visit came from…');
  var swaps = el('p', 'demo-swaps');
  var notice = el('p', 'demo-notice');
  notice.hidden = true;
  var kinds = el('p', 'demo-kinds');
  kinds.append(el('span', 'demo-label', 'Visit again as:'));
  KINDS.forEach(function (kind) {
    var link = el('a', '', kind[0]);
    // Each visit is a new click: its own click id, so it is a new session with its own number.
    link.href = kind[1].replace(/demo-$/, 'demo-' + Math.random().toString(36).slice(2, 8));
    link.addEventListener('click', function (event) {
      event.preventDefault();
      forget(link.href);
    });
    kinds.append(link);
  });
  var reset = el('button', 'demo-reset', 'Forget me');
  reset.type = 'button';
  reset.title = "Forget this browser's visitor: its visit, its lease (released at the pool) and its id";
  reset.addEventListener('click', function () {
    forget('/');
  });
  kinds.append(reset);
  banner.append(visit, swaps, notice, kinds);

  /** Withdrawing consent deletes what callswap stored and releases the lease at the pool; the next page is new. */
  function forget(next) {
    window.callswap('consent', 'denied');
    setTimeout(function () {
      location.href = next;
    }, 50);
  }

  function render() {
    var status = window.callswap && window.callswap.status && window.callswap.status();
    if (!status) return;
    var s = status.source;
    visit.replaceChildren(
      el('span', 'demo-label', 'This visit:'),
      el('strong', '', s.channel.replace(/_/g, ' ')),
      el('span', '', s.source + ' / ' + s.medium),
      el('span', '', s.campaign ? 'campaign ' + s.campaign : 'no campaign'),
      el('span', '', s.term ? 'keyword "' + s.term + '"' : 'no keyword'),
    );
    swaps.replaceChildren(el('span', 'demo-label', 'Numbers:'));
    status.targets.forEach(function (target) {
      var shown = status.numbers[target];
      swaps.append(el('span', 'demo-swap', shown ? national(target) + ' → ' + national(shown) : national(target) + ' (unchanged)'));
    });
    var missing = status.lease ? status.targets.filter(function (t) { return !status.lease.numbers[t]; }) : [];
    var message = status.error
      ? 'The pool did not answer (' + status.error.code + '): you see the site\'s own numbers.'
      : missing.length
        ? 'Every demo number of this pool is taken right now, so ' + missing.map(national).join(' and ') + (missing.length > 1 ? ' stay' : ' stays') + ' the site\'s own. Numbers free up a few minutes after a visitor leaves, or at once with "Forget me".'
        : '';
    notice.textContent = message;
    notice.hidden = !message;
  }

  window.callswap('on', 'swap', render);
  window.callswap('on', 'lease', render);
  window.callswap('on', 'error', render);
  document.addEventListener('DOMContentLoaded', function () {
    document.body.append(banner);
    render();
  });
})();

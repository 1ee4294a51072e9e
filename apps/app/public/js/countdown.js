/* global document */
// Ticks the server-rendered "expires in" seconds down; the page is correct without it.
const started = Date.now();
const counters = [...document.querySelectorAll('[data-countdown]')];
setInterval(() => {
  const elapsed = Math.floor((Date.now() - started) / 1000);
  for (const el of counters) {
    el.textContent = String(Math.max(0, Number(el.dataset.countdown) - elapsed));
  }
}, 1000);

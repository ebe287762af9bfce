// Small DOM helpers shared by the page's modules.
export const $ = (id) => document.getElementById(id);

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== false) node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
}
export function ago(iso) {
  const t = Date.parse(iso);
  if (!t) return 'offline';
  const s = Math.max(0, (Date.now() - t) / 1000);
  if (s < 60) return 'last seen just now';
  if (s < 3600) return `last seen ${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `last seen ${Math.floor(s / 3600)} h ago`;
  return `last seen ${new Date(t).toLocaleDateString()}`;
}
export function size(bytes) {
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}
export function toast(text, error = false) {
  const node = el('div', { class: `toast${error ? ' error' : ''}`, role: error ? 'alert' : 'status',
    title: 'Click to dismiss', onclick: () => node.remove() }, text);
  $('toasts').append(node);
  setTimeout(() => node.remove(), error ? 8000 : 4000);
}
export function showUnlock() {
  $('unlock').hidden = false;
  $('unlock-label').hidden = false;
  $('unlock-submit').hidden = false;
  $('unlock-text').textContent = 'Open the link parley-peer printed when it started, or give the web UI password if it has one.';
}

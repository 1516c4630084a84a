// () -> every text the page shows a person: visible text nodes and aria-labels.
export default function textNodes() {
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const node = walk.currentNode;
    if (node.parentElement.closest('script, style, option') || !node.textContent.trim()) continue;
    out.push(node.textContent.trim());
  }
  for (const el of document.querySelectorAll('[aria-label]')) out.push(el.getAttribute('aria-label'));
  return out;
}

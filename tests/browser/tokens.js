// Every case number, ID number, USCC and date on the page that the browser lays out on more
// than one line: its text found in the page's text (across inline elements such as <mark>), a
// Range over it, and the Range's client rectangles compared (one line: one top).
() => {
  const PATTERNS = [
    /[（(〔［\[]\d{4}[）)〕］\]][\u4e00-\u9fff]{1,2}\d{0,4}[\u4e00-\u9fff]{1,4}\d+号(之[一二三四五六七八九十]+)?/g, // case number
    /\d{10}\*{4}\d{3}[\dXx]/g, // masked ID
    /(?<![0-9A-Z])[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Z])/g, // USCC
    /(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)/g, // ISO date
  ];
  const BLOCK = "td,th,dd,dt,p,li,div,h1,h2,h3,h4,caption,figcaption,section,article,main,header,footer,nav,label,option,button,pre";
  const nodes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => (n.parentElement && !n.parentElement.closest("script,style,svg,pre,code") ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT),
  });
  let text = "";
  let lastBlock = null;
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const block = n.parentElement.closest(BLOCK);
    if (block !== lastBlock) text += "\u0000"; // a token never runs from one cell or paragraph into the next
    lastBlock = block;
    nodes.push({ node: n, start: text.length });
    text += n.data;
  }
  const locate = (offset) => {
    let lo = 0, hi = nodes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (nodes[mid].start <= offset) lo = mid; else hi = mid - 1;
    }
    return nodes[lo];
  };
  const broken = [];
  let checked = 0;
  for (const pattern of PATTERNS) {
    for (const m of text.matchAll(pattern)) {
      const a = locate(m.index), b = locate(m.index + m[0].length - 1);
      const range = document.createRange();
      range.setStart(a.node, m.index - a.start);
      range.setEnd(b.node, m.index + m[0].length - b.start);
      const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0 && r.height > 0);
      if (!rects.length) continue; // not displayed
      checked += 1;
      const tops = rects.map((r) => r.top), height = Math.min(...rects.map((r) => r.height));
      if (Math.max(...tops) - Math.min(...tops) > height / 2) {
        broken.push({ token: m[0], lines: rects.map((r) => Math.round(r.top)) });
      }
    }
  }
  return { checked, broken };
}

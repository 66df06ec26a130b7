// axe-core's WCAG 2 A and AA rules, run in a page.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The WCAG 2 A/AA violations on the page now, as readable lines. */
export async function violations(page) {
  // Evaluated through the browser's debugging protocol, which the page's CSP (no inline
  // scripts) does not apply to.
  await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const result = await globalThis.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
    }));
  });
  return found.map((v) => `${v.id}: ${v.help} (${v.nodes.join('; ')})`);
}

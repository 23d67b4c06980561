// The workbook Bicep deploys (infra/modules/workbook.json) queries the app's telemetry by name: a renamed span,
// attribute or metric would leave a chart silently empty, so every name it uses must be one src/telemetry/names.ts
// defines, and the charts the README describes must be there.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ATTR, METRIC, SPAN } from '../../src/telemetry/names.js';

const workbook = JSON.parse(
  readFileSync(new URL('../../infra/modules/workbook.json', import.meta.url), 'utf8'),
) as { items: { type: number; name: string; content: { query?: string; title?: string } }[] };
const queries = workbook.items.filter((i) => i.type === 3);
const spanNames = new Set<string>(Object.values(SPAN).flatMap((v) => (typeof v === 'string' ? [v] : [])));
const attributes = new Set<string>(Object.values(ATTR));
const metrics = new Set<string>(Object.values(METRIC));

describe('operations workbook', () => {
  it('every span, attribute and metric a query names exists in src/telemetry/names.ts', () => {
    for (const { name, content } of queries) {
      const query = content.query ?? '';
      for (const [, used] of query.matchAll(/customDimensions\['([^']+)'\]/g))
        assert.ok(attributes.has(used!), `${name}: unknown attribute ${used}`);
      for (const [, used] of query.matchAll(/name (?:==|in) \(?'([^']+)'/g))
        assert.ok(spanNames.has(used!) || metrics.has(used!), `${name}: unknown span or metric ${used}`);
      for (const [, list] of query.matchAll(/name in \(([^)]*)\)/g))
        for (const [, used] of list!.matchAll(/'([^']+)'/g))
          assert.ok(spanNames.has(used!) || metrics.has(used!), `${name}: unknown span or metric ${used}`);
    }
  });

  it('has the charts an operator opens first', () => {
    const titles = queries.map((q) => q.content.title ?? '').join('\n');
    for (const chart of [
      /requests and failures by client and tool/i,
      /On-Behalf-Of failures by AADSTS/i,
      /cache: hit ratio/i,
      /p50 \/ p95/i,
      /sign-ins and consent decisions by client/i,
    ])
      assert.match(titles, chart);
  });

  it('every query is time-bounded by the workbook parameter', () => {
    for (const { name, content } of queries)
      assert.equal(
        (content as { timeContextFromParameter?: string }).timeContextFromParameter,
        'TimeRange',
        name,
      );
  });
});

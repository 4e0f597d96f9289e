// unit.test.mjs: the UI's pure helpers (CSV header, formatting, primary metric, params) in node.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countDataRows, guessLabelColumn, parseHeader } from '../../web/js/csv.js';
import {
  formatAge, formatBytes, formatMetric, historyVersion, jobError, metricEntries, primaryMetric, shortSha,
} from '../../web/js/format.js';
import { parseParams } from '../../web/js/views/train.js';

test('parseHeader reads the first record with quotes, BOM and CRLF', () => {
  assert.deepEqual(parseHeader('a,b,label\n1,2,3\n'), ['a', 'b', 'label']);
  assert.deepEqual(parseHeader('\ufeffx, y ,"z, w"\r\n1,2,3'), ['x', 'y', 'z, w']);
  assert.deepEqual(parseHeader('"say ""hi""",b'), ['say "hi"', 'b']);
  assert.deepEqual(parseHeader('"multi\nline",b\n1,2'), ['multi\nline', 'b']);
  assert.deepEqual(parseHeader('only'), ['only']);
  assert.deepEqual(parseHeader(''), []);
  assert.deepEqual(parseHeader('\n1,2'), []);
});

test('countDataRows and guessLabelColumn', () => {
  assert.equal(countDataRows('a,b\n1,2\n3,4\n\n'), 2);
  assert.equal(countDataRows('a,b\r\n1,2\r\n'), 1);
  assert.equal(guessLabelColumn(['x', 'Target', 'z']), 'Target');
  assert.equal(guessLabelColumn(['x', 'y2', 'z']), 'z');
});

test('formatting', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(2048), '2.0 KiB');
  assert.equal(formatBytes(300 * 1024 * 1024), '300 MiB');
  assert.equal(formatBytes(undefined), '–');
  assert.equal(formatMetric(0.912345), '0.9123');
  assert.equal(formatMetric(0), '0');
  assert.equal(formatMetric(123456), '1.235e+5');
  assert.equal(formatMetric(null), '–');
  assert.equal(shortSha('0123456789abcdef0123'), '0123456789ab');
  assert.equal(formatAge(new Date(10000).toISOString(), 14000), '4 s ago');
  assert.equal(formatAge(new Date(0).toISOString(), 3 * 3600e3), '3 h ago');
  assert.equal(formatAge(null), 'never');
});

test('primaryMetric accepts a name, a value or none', () => {
  assert.deepEqual(primaryMetric({ accuracy: 0.9, auc: 0.95, primary: 'auc' }), { name: 'auc', value: 0.95 });
  assert.deepEqual(primaryMetric({ rmse: 0.3, r2: 0.8, primary: 0.8 }), { name: 'r2', value: 0.8 });
  assert.deepEqual(primaryMetric({ rmse: 0.3, r2: 0.8 }, 'rmse'), { name: 'rmse', value: 0.3 });
  assert.deepEqual(primaryMetric({ inertia: 12 }), { name: 'inertia', value: 12 });
  assert.equal(primaryMetric({}), null);
  assert.equal(primaryMetric(null), null);
  assert.deepEqual(metricEntries({ a: 1, primary: 'a', b: 'x' }), [['a', 1]]);
});

test('without a primary name (a job result from the router) the cluster\'s own primaries win', () => {
  // Regressors: rmse decides if_better/auto, not r2; classifiers: accuracy; kmeans: inertia.
  assert.deepEqual(primaryMetric({ mae: 0.2, r2: 0.8, rmse: 0.3 }), { name: 'rmse', value: 0.3 });
  assert.deepEqual(primaryMetric({ auc: 0.79, accuracy: 0.7, f1: 0.76 }), { name: 'accuracy', value: 0.7 });
  assert.deepEqual(primaryMetric({ inertia: 3.5 }), { name: 'inertia', value: 3.5 });
});

test('jobError and historyVersion read what the router sends', () => {
  assert.equal(jobError('dataset has 3 rows; at least 4 are needed'), 'dataset has 3 rows; at least 4 are needed');
  assert.equal(jobError({ code: 'invalid_input', message: 'bad' }), 'bad');
  assert.equal(jobError({ code: 'invalid_input' }), 'invalid_input');
  assert.equal(jobError(null), '');
  assert.equal(jobError(''), '');
  assert.equal(historyVersion(0), 'none');
  assert.equal(historyVersion(null), 'none');
  assert.equal(historyVersion(3), 'v3');
});

test('parseParams turns "name=value" pairs into query params and rejects junk', () => {
  assert.deepEqual(parseParams('c=1.0, k=3'), { c: '1.0', k: '3' });
  assert.deepEqual(parseParams(''), {});
  assert.throws(() => parseParams('c'), /not name=value/);
  assert.throws(() => parseParams('1c=2'), /not name=value/);
});

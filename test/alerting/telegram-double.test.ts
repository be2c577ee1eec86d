// The Telegram Bot API double must behave like the real API, or the alerting tests prove nothing:
// bad HTML and long text are rejected with Telegram's errors, success carries a full Message
// (with `chat`), unknown tokens get 401, and the failure knob gives Telegram's 429 and 500 shapes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseTelegramHtml, startTelegramDouble, type TelegramDouble } from '../support/telegram-double.ts';

let telegram: TelegramDouble;
before(async () => {
  telegram = await startTelegramDouble();
});
after(() => telegram.close());

async function send(body: Record<string, unknown>, options: { token?: string; form?: boolean } = {}) {
  const url = `${telegram.url}/bot${options.token ?? telegram.token}/sendMessage`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': options.form ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: options.form ? new URLSearchParams(body as Record<string, string>).toString() : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe('sendMessage', () => {
  test('answers a full Message, chat included, for string values as Alertmanager sends them', async () => {
    const { status, body } = await send({ chat_id: '-100123', text: '<b>APIDown</b> &amp; more', parse_mode: 'HTML', disable_web_page_preview: 'true' });
    assert.equal(status, 200);
    assert.equal(body.ok, true);
    assert.equal(typeof body.result.message_id, 'number');
    assert.equal(typeof body.result.date, 'number');
    assert.deepEqual({ id: body.result.chat.id, type: body.result.chat.type }, { id: -100123, type: 'supergroup' });
    assert.equal(body.result.text, 'APIDown & more', 'Telegram stores the text without tags, entities decoded');
    const last = telegram.messages.at(-1);
    assert.equal(last?.raw, '<b>APIDown</b> &amp; more');
    assert.equal(last?.chatId, '-100123');
  });

  test('takes form bodies too; a positive chat id is a private chat', async () => {
    const { status, body } = await send({ chat_id: '987654321', text: 'plain text <not a tag> & no parse mode' }, { form: true });
    assert.equal(status, 200);
    assert.equal(body.result.chat.type, 'private');
    assert.equal(body.result.text, 'plain text <not a tag> & no parse mode', 'without parse_mode nothing is parsed');
  });

  test('401 for an unknown token, 404 for an unknown method, and such requests are not messages', async () => {
    const before = telegram.messages.length;
    const { status, body } = await send({ chat_id: '1', text: 'x' }, { token: '123:wrong' });
    assert.equal(status, 401);
    assert.deepEqual(body, { ok: false, error_code: 401, description: 'Unauthorized' });
    const res = await fetch(`${telegram.url}/bot${telegram.token}/sendPhoto`, { method: 'POST' });
    assert.equal(res.status, 404);
    assert.equal(telegram.messages.length, before);
  });

  test('400 for a missing chat or empty text', async () => {
    assert.equal((await send({ text: 'x' })).body.description, 'Bad Request: chat_id is empty');
    assert.equal((await send({ chat_id: '@channel', text: 'x' })).body.description, 'Bad Request: chat not found');
    assert.equal((await send({ chat_id: '1', text: '<b></b>', parse_mode: 'HTML' })).body.description, 'Bad Request: message text is empty');
  });
});

describe('HTML parse mode', () => {
  const rejected: Array<[string, string]> = [
    ['unknown tag', '<div>x</div>'],
    ['unclosed tag', '<b>APIDown'],
    ['wrongly nested tags', '<b><i>x</b></i>'],
    ['end tag without start', 'x</b>'],
    ['bare <', 'latency 5 < 6'],
    ['bare &', 'errors & latency'],
    ['unknown named entity', 'a &nbsp; b'],
    ['bare & in an attribute', '<a href="http://x/?a=1&b=2">x</a>'],
    ['span without the spoiler class', '<span>x</span>'],
  ];
  for (const [what, html] of rejected) {
    test(`rejects ${what} with "can't parse entities"`, async () => {
      const { status, body } = await send({ chat_id: '1', text: html, parse_mode: 'HTML' });
      assert.equal(status, 400);
      assert.equal(body.ok, false);
      assert.equal(body.error_code, 400);
      assert.match(body.description, /^Bad Request: can't parse entities: /);
    });
  }

  test('accepts every allowed tag, entities (named and numeric) and escaped attributes', () => {
    const html =
      '<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike><del>d</del>' +
      '<a href="http://x/?a=1&amp;b=2&#43;3">link</a><code>c</code><pre>p</pre><tg-spoiler>t</tg-spoiler>' +
      '<span class="tg-spoiler">sp</span><blockquote>q</blockquote> &lt;&gt;&amp;&quot;&#39;&#x1F525;';
    assert.deepEqual(parseTelegramHtml(html), { ok: true, text: 'bsieunskdlinkcptspq <>&"\'🔥' });
  });

  test('at most 4096 characters after entity parsing: tags and entities do not count', async () => {
    const atLimit = `<b>${'&lt;'.repeat(4096)}</b>`; // 16k raw, 4096 after parsing
    assert.equal((await send({ chat_id: '1', text: atLimit, parse_mode: 'HTML' })).status, 200);
    const over = await send({ chat_id: '1', text: 'x'.repeat(4097) });
    assert.equal(over.status, 400);
    assert.equal(over.body.description, 'Bad Request: message is too long');
  });
});

describe('failure knob', () => {
  test('429 with parameters.retry_after, then 500, then delivery; all recorded', async () => {
    telegram.failNext(1, 429, 7);
    telegram.failNext(1, 500);
    const flooded = await send({ chat_id: '1', text: 'first' });
    assert.equal(flooded.status, 429);
    assert.deepEqual(flooded.body, { ok: false, error_code: 429, description: 'Too Many Requests: retry after 7', parameters: { retry_after: 7 } });
    const broken = await send({ chat_id: '1', text: 'second' });
    assert.deepEqual(broken.body, { ok: false, error_code: 500, description: 'Internal Server Error' });
    const count = telegram.messages.length;
    assert.equal((await send({ chat_id: '1', text: 'third' })).status, 200);
    assert.equal(telegram.messages.length, count + 1);
    assert.deepEqual(telegram.requests.slice(-3).map((r) => r.status), [429, 500, 200]);
  });

  test('waitForMessages resolves on arrival and times out naming what was rejected', async () => {
    const count = telegram.messages.length;
    const waiting = telegram.waitForMessages(count + 1, 5_000);
    await send({ chat_id: '1', text: 'arrives' });
    assert.equal((await waiting).at(-1)?.text, 'arrives');
    await send({ chat_id: '1', text: '<div>', parse_mode: 'HTML' });
    await assert.rejects(telegram.waitForMessages(count + 2, 50), /expected .* Telegram messages .*can't parse entities/);
  });
});

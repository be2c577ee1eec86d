/**
 * Finds the JSON value in a model's answer. Models wrap JSON in prose or a fenced ```json block
 * however they are asked, so this tries, in order: the whole text, the fenced block, and the
 * span from the first `{` to the last `}`. The simulator reads the JSON block of the pipeline's
 * prompts with the same function.
 */

function* candidates(text: string): Generator<string> {
  yield text.trim();
  const fence = /```(?:json)?[ \t]*\r?\n/i.exec(text);
  if (fence) {
    // Up to the LAST fence: file contents inside the JSON may themselves contain ``` lines.
    const start = fence.index + fence[0].length;
    const end = text.lastIndexOf('```');
    if (end > start) yield text.slice(start, end);
  }
  const first = text.indexOf('{');
  const last = text.lastIndexOf('}');
  if (first >= 0 && last > first) yield text.slice(first, last + 1);
}

/** The first JSON value found in `text`; throws a `SyntaxError` when there is none. */
export function extractJson(text: string): unknown {
  for (const candidate of candidates(text)) {
    try {
      return JSON.parse(candidate);
    } catch {
      // Not this candidate; try the next one.
    }
  }
  throw new SyntaxError('no JSON object found in the text');
}

/** readNdjson calls `each` with every JSON object of a newline-delimited JSON response, as it arrives. */
export async function readNdjson<T>(res: Response, each: (m: T) => void): Promise<void> {
  let buf = '';
  const handle = (line: string) => {
    if (line.trim()) each(JSON.parse(line) as T);
  };
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += Buffer.from(chunk).toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      handle(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  }
  handle(buf);
}

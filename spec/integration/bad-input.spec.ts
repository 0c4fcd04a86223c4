// Bad input on every node type: each bad line gets its answer, and the node keeps serving.
import http from 'node:http';
import { expect } from 'chai';
import type { NodeProcess } from '../../lib/cluster/process.js';
import { HTTP_REFUSAL } from '../../lib/protocol/http-line.js';
import { Nodes, ask, open, sleep, type Answer } from './helpers.js';

/** GET `path` by HTTP/1.1 on `port`, as curl or a browser would: the status, headers and body it reads. */
function httpGet(port: number, path: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (text: string) => (body += text));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    request.on('error', reject);
  });
}

/** A fixed, varied run of bytes with no newline in it (a linear congruential generator). */
function garbage(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let x = 12345;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const b = x >> 16 & 0xff;
    bytes[i] = b === 0x0a ? 0xff : b;
  }
  bytes[0] = 0xff;
  return bytes;
}

describe('bad input (integration)', function () {
  const nodes = new Nodes();
  const ports: Record<string, number> = {};

  before(async function () {
    const origin = await nodes.start('origin', ['--port', '0']);
    const proxy: NodeProcess = await nodes.start('proxy', ['--port', '0', '--origin-port', String(origin.port)]);
    const balancer = await nodes.start('load-balancer', ['--port', '0', '--health-interval', '100', '--proxies', `127.0.0.1:${proxy.port}`]);
    ports.origin = origin.port;
    ports.proxy = proxy.port;
    ports.balancer = balancer.port;
  });

  after(() => nodes.stopAll());

  for (const kind of ['origin', 'proxy', 'balancer']) {
    describe(`on the ${kind}`, function () {
      let port: number;

      before(function () {
        port = ports[kind]!;
      });

      /** Runs `body`, then checks that a new client is still served: the node survived the input. */
      const check = (name: string, body: () => Promise<void>): void => {
        it(name, async function () {
          await body();
          const answer = await ask(port, 'GET article/1');
          expect(answer.status, 'a new client is still served').to.equal('OK');
          expect((answer.data as { id: number }).id).to.equal(1);
        });
      };

      /** Writes `bytes`, expects one answer with `status`, then checks the same connection still works. */
      const rejectsThenServes = async (bytes: string | Buffer, status: string, error?: string): Promise<Answer> => {
        const conn = await open(port);
        try {
          conn.send(bytes);
          const answer = await conn.reader.readAnswer();
          expect(answer.status).to.equal(status);
          if (error !== undefined) expect(answer.error).to.equal(error);
          conn.send('GET user/2\n');
          const next = await conn.reader.readAnswer();
          expect(next.status, 'the same connection is still served').to.equal('OK');
          expect((next.data as { id: number }).id).to.equal(2);
          return answer;
        } finally {
          conn.close();
        }
      };

      check('answers an empty line with BAD_REQUEST "empty request"', async () => {
        await rejectsThenServes('\n', 'BAD_REQUEST', 'empty request');
        await rejectsThenServes('\r\n', 'BAD_REQUEST', 'empty request');
      });

      check('answers a line of binary garbage with BAD_REQUEST', async () => {
        await rejectsThenServes(Buffer.concat([garbage(4096), Buffer.from('\n')]), 'BAD_REQUEST');
      });

      check('answers a line of control bytes with one error answer and no more', async () => {
        const conn = await open(port);
        try {
          conn.send(Buffer.from([0x00, 0x01, 0x02, 0x1b, 0x7f, 0x0a]));
          const answer = await conn.reader.readAnswer();
          expect(['BAD_REQUEST', 'WRONG_METHOD']).to.include(answer.status);
          conn.send('METRICS\n');
          expect((await conn.reader.readAnswer()).status).to.equal('OK');
          expect(conn.reader.unread).to.equal(0);
        } finally {
          conn.close();
        }
      });

      check('answers invalid UTF-8 with BAD_REQUEST', async () => {
        const line = Buffer.concat([Buffer.from('GET article/'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]);
        await rejectsThenServes(line, 'BAD_REQUEST', 'request is not valid UTF-8');
      });

      check('answers a key with a space, a tab or a control character with BAD_REQUEST', async () => {
        const error = 'key contains whitespace or control characters';
        await rejectsThenServes('GET article 1\n', 'BAD_REQUEST', error);
        await rejectsThenServes('GET article/\t1\n', 'BAD_REQUEST', error);
        await rejectsThenServes('GET article/\u00011\n', 'BAD_REQUEST', error);
        await rejectsThenServes('{"op":"GET","key":"article/1\\u0000"}\n', 'BAD_REQUEST', error);
        await rejectsThenServes('{"op":"GET","key":"a b"}\n', 'BAD_REQUEST', error);
      });

      check('answers an over-long key and a GET without a key with BAD_REQUEST', async () => {
        await rejectsThenServes(`GET ${'k'.repeat(1025)}\n`, 'BAD_REQUEST', 'key is longer than 1024 bytes');
        await rejectsThenServes('GET\n', 'BAD_REQUEST', 'GET needs a key');
        await rejectsThenServes('GET /\n', 'BAD_REQUEST', 'key is empty');
      });

      check('answers JSON of the wrong shape with BAD_REQUEST, one answer per line, in order', async () => {
        const lines = [
          ['{broken', 'request is not valid JSON'],
          ['{"op":"GET","key":"article/1"} trailing', 'request is not valid JSON'],
          ['{}', 'op must be a string'],
          ['{"op":5}', 'op must be a string'],
          ['{"op":"GET"}', 'key must be a string'],
          ['{"op":"GET","key":7}', 'key must be a string'],
          ['{"op":"GET","key":null}', 'key must be a string'],
          ['{"op":"GET","key":"article/1","id":{"a":1}}', 'id must be a string or a number'],
          ['{"op":"GET","key":"article/1","id":[1]}', 'id must be a string or a number'],
        ];
        const conn = await open(port);
        try {
          conn.send(lines.map(([line]) => `${line}\n`).join(''));
          const answers = await conn.reader.readAnswers(lines.length);
          expect(answers.map((a) => a.status)).to.deep.equal(lines.map(() => 'BAD_REQUEST'));
          expect(answers.map((a) => a.error)).to.deep.equal(lines.map(([, error]) => error));
          // Non-object JSON goes down the text path (it does not start with "{"): an unknown method.
          conn.send('[1,2]\n"GET article/1"\n42\n');
          const others = await conn.reader.readAnswers(3);
          for (const answer of others) expect(['BAD_REQUEST', 'WRONG_METHOD']).to.include(answer.status);
        } finally {
          conn.close();
        }
      });

      check('echoes the id of a rejected JSON request when the id was readable', async () => {
        const answer = await rejectsThenServes('{"op":"GET","id":9}\n', 'BAD_REQUEST', 'key must be a string');
        expect(answer.id).to.equal(9);
      });

      check('answers a 10 MB line without newline with BAD_REQUEST "line too long", then closes the connection', async () => {
        const conn = await open(port);
        try {
          conn.send(Buffer.alloc(10 * 1024 * 1024, 0x61));
          const answer = await conn.reader.readAnswer();
          expect(answer).to.deep.equal({ status: 'BAD_REQUEST', error: 'line too long' });
          expect(await conn.reader.closesWithin(5000), 'the node closes the connection').to.equal(true);
          expect(conn.reader.unread).to.equal(0);
        } finally {
          conn.close();
        }
      });

      check('answers the requests before an over-long line, then "line too long", then nothing more', async () => {
        const conn = await open(port);
        try {
          conn.send(`GET article/3\nGET user/3\n${'x'.repeat(70 * 1024)}\nGET article/4\n`);
          const answers = await conn.reader.readAnswers(3);
          expect(answers.map((a) => a.status)).to.deep.equal(['OK', 'OK', 'BAD_REQUEST']);
          expect(answers[2]!.error).to.equal('line too long');
          expect(await conn.reader.closesWithin(5000)).to.equal(true);
          expect(conn.reader.unread).to.equal(0);
        } finally {
          conn.close();
        }
      });

      check('answers an HTTP request with a valid HTTP/1.1 400 saying the port speaks newline-delimited JSON', async () => {
        const answer = await httpGet(port, '/article/1');
        expect(answer.status).to.equal(400);
        expect(answer.headers['content-type']).to.equal('text/plain; charset=utf-8');
        expect(answer.headers.connection).to.equal('close');
        expect(Number(answer.headers['content-length'])).to.equal(Buffer.byteLength(answer.body));
        expect(answer.body).to.include('newline-delimited JSON');
      });

      check('closes the connection after its HTTP answer, headers unread, and reads nothing more', async () => {
        const conn = await open(port);
        try {
          conn.send('GET / HTTP/1.1\r\nHost: x\r\n\r\nGET article/1\n');
          expect(await conn.reader.closesWithin(5000), 'the node closes the connection').to.equal(true);
          // The HTTP answer, whole, and no JSON answer to the line after the headers.
          expect((await conn.reader.untilClosed()).join('\n') + '\n' + conn.reader.partial).to.equal(HTTP_REFUSAL);
        } finally {
          conn.close();
        }
      });

      check('answers an HTTP request line after the first line BAD_REQUEST, and GET <key> without a version as always', async () => {
        const conn = await open(port);
        try {
          conn.send('GET article/1\nGET / HTTP/1.1\nGET user/1\n');
          expect((await conn.reader.readAnswers(3)).map((a) => a.status)).to.deep.equal(['OK', 'BAD_REQUEST', 'OK']);
        } finally {
          conn.close();
        }
      });

      check('survives a client that sends half a line and disconnects', async () => {
        const conn = await open(port);
        conn.send('GET artic');
        await sleep(20);
        conn.close();
      });

      check('survives a client that sends whole requests and disconnects before the answers', async () => {
        for (let i = 0; i < 5; i++) {
          const conn = await open(port);
          conn.send(`GET article/${10 + i}\nGET user/${10 + i}\nMETRICS\n`);
          conn.close();
        }
        await sleep(20);
      });
    });
  }
});

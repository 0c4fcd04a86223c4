import { expect } from 'chai';
import { HTTP_REFUSAL, isHttpRequestLine } from '../../lib/protocol/http-line.js';

const line = (text: string): boolean => {
  const bytes = Buffer.from(`xx${text}yy`, 'latin1');
  return isHttpRequestLine(bytes, 2, bytes.length - 2);
};

describe('isHttpRequestLine', () => {
  it('recognises HTTP request lines, with or without the carriage return', () => {
    for (const text of ['GET / HTTP/1.1', 'GET /article/1 HTTP/1.0\r', 'POST /x?y=1 HTTP/2', 'HEAD * HTTP/1.1', 'OPTIONS http://host:80/ HTTP/1.1']) {
      expect(line(text), text).to.equal(true);
    }
  });

  it('recognises no request of the protocol, the Python client\'s `GET article/1` among them', () => {
    for (const text of ['GET article/1', 'GET /article/1', 'METRICS', '{"op":"GET","key":"a HTTP/1.1"}', 'GET a HTTP', 'get / HTTP/1.1', 'GET / HTTP/1.1 x', 'GET  HTTP/1.1', '']) {
      expect(line(text), text).to.equal(false);
    }
  });

  it('does not read a line past 8 KiB', () => {
    expect(line(`GET /${'a'.repeat(9000)} HTTP/1.1`)).to.equal(false);
  });
});

describe('HTTP_REFUSAL', () => {
  it('is a complete HTTP/1.1 400 whose Content-Length is its body\'s length in bytes', () => {
    const [head, body] = HTTP_REFUSAL.split('\r\n\r\n') as [string, string];
    const lines = head.split('\r\n');
    expect(lines[0]).to.equal('HTTP/1.1 400 Bad Request');
    expect(lines).to.include('Connection: close');
    expect(lines).to.include(`Content-Length: ${Buffer.byteLength(body)}`);
    expect(body).to.include('newline-delimited JSON');
  });
});

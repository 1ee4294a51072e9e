import { createConnection, createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TcpRelay } from '../src/tcp-relay.js';

let echo: Server;
let relay: TcpRelay;

/** Connects to the relay, sends `text` and resolves with the echo, or rejects with the connection error. */
function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write(text));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString());
    });
    socket.once('error', reject);
  });
}

beforeAll(async () => {
  echo = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  relay = new TcpRelay('127.0.0.1', (echo.address() as AddressInfo).port);
  await relay.start();
});

afterAll(async () => {
  await relay.stop();
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});

describe('the TCP relay', () => {
  it('relays to its target, refuses connections while cut, and comes back on the same port', async () => {
    const port = relay.port;
    expect(await roundTrip(port, 'ping')).toBe('ping');
    await relay.stop();
    await expect(roundTrip(port, 'ping')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await relay.start();
    expect(relay.port).toBe(port);
    expect(await roundTrip(port, 'pong')).toBe('pong');
  });
});

package dev.duet.protocol.testing;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A loopback TCP relay to one target that can break the network the ways a real one breaks: {@link #hold} stops
 * relaying one direction (the bytes wait, as behind a stalled link, and flow again on {@link #release}); holding both
 * directions black-holes every connection while both ends still believe it is up; {@link #cut} resets every relayed
 * connection at once. A one-way delay, when given, holds the bytes that long each way, as a long link does (the TCP
 * handshake itself is the kernel's and is not delayed). Each connection costs two threads, four with a delay; meant
 * for tests with a handful of connections.
 */
public final class FaultProxy implements Closeable {
    /** A direction of the relayed bytes. */
    public enum Direction { TO_TARGET, FROM_TARGET }

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final long delayNanos;
    private volatile boolean holdToTarget;
    private volatile boolean holdFromTarget;

    public FaultProxy(InetSocketAddress target) throws IOException {
        this(target, Duration.ZERO);
    }

    public FaultProxy(InetSocketAddress target, Duration oneWayDelay) throws IOException {
        this.target = target;
        this.delayNanos = oneWayDelay.toNanos();
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "fault-proxy-" + listener.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** Stops relaying {@code direction}: what arrives waits until {@link #release}. */
    public void hold(Direction direction) {
        if (direction == Direction.TO_TARGET) {
            holdToTarget = true;
        } else {
            holdFromTarget = true;
        }
    }

    /** Relays both directions again, starting with what waited. */
    public void release() {
        holdToTarget = false;
        holdFromTarget = false;
    }

    /** Resets every relayed connection; new connections are still accepted. */
    public void cut() throws IOException {
        for (Socket socket : sockets) {
            if (!socket.isClosed()) {
                socket.setSoLinger(true, 0);
                socket.close();
            }
        }
        sockets.clear();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(target.getAddress(), target.getPort());
                sockets.add(client);
                sockets.add(server);
                pump(client, server, Direction.TO_TARGET);
                pump(server, client, Direction.FROM_TARGET);
            } catch (IOException closed) {
                return;
            }
        }
    }

    private boolean held(Direction direction) {
        return direction == Direction.TO_TARGET ? holdToTarget : holdFromTarget;
    }

    private void pump(Socket from, Socket to, Direction direction) {
        BlockingQueue<Chunk> delayed = delayNanos > 0 ? new LinkedBlockingQueue<>() : null;
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    while (held(direction) && !to.isClosed()) {
                        TimeUnit.MILLISECONDS.sleep(5);
                    }
                    if (delayed != null) {
                        delayed.add(new Chunk(Arrays.copyOf(buffer, n), System.nanoTime() + delayNanos));
                    } else {
                        out.write(buffer, 0, n);
                    }
                }
            } catch (IOException ignored) {
                // either side closed, or the connection was cut: the relay ends
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                if (delayed != null) {
                    delayed.add(Chunk.END);
                } else {
                    closeBoth(from, to);
                }
            }
        }, "fault-proxy-pump");
        thread.setDaemon(true);
        thread.start();
        if (delayed != null) {
            Thread writer = new Thread(() -> writeLater(delayed, from, to), "fault-proxy-delay");
            writer.setDaemon(true);
            writer.start();
        }
    }

    /** Writes each chunk once its delay is over, in order, until the reading side ended; then ends the relay. */
    private static void writeLater(BlockingQueue<Chunk> delayed, Socket from, Socket to) {
        try {
            OutputStream out = to.getOutputStream();
            for (Chunk chunk; (chunk = delayed.take()) != Chunk.END; ) {
                long wait = chunk.due() - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                out.write(chunk.bytes());
            }
        } catch (IOException ignored) {
            // the other side closed, or the connection was cut
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeBoth(from, to);
        }
    }

    private static void closeBoth(Socket from, Socket to) {
        for (Socket socket : new Socket[]{from, to}) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing what is left of a relay that ended
            }
        }
    }

    /** Bytes read, and when they may be written. */
    private record Chunk(byte[] bytes, long due) {
        static final Chunk END = new Chunk(new byte[0], 0);
    }

    @Override
    public void close() throws IOException {
        listener.close();
        cut();
    }
}

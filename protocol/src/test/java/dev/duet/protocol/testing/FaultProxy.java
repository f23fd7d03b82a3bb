package dev.duet.protocol.testing;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A loopback TCP relay to one target that can break the network the ways a real one breaks: {@link #hold} stops
 * relaying one direction (the bytes wait, as behind a stalled link, and flow again on {@link #release}); holding both
 * directions black-holes every connection while both ends still believe it is up; {@link #cut} resets every relayed
 * connection at once. Each connection costs two threads; meant for tests with a handful of connections.
 */
public final class FaultProxy implements Closeable {
    /** A direction of the relayed bytes. */
    public enum Direction { TO_TARGET, FROM_TARGET }

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean holdToTarget;
    private volatile boolean holdFromTarget;

    public FaultProxy(InetSocketAddress target) throws IOException {
        this.target = target;
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
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    while (held(direction) && !to.isClosed()) {
                        TimeUnit.MILLISECONDS.sleep(5);
                    }
                    out.write(buffer, 0, n);
                }
            } catch (IOException ignored) {
                // either side closed, or the connection was cut: the relay ends
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "fault-proxy-pump");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() throws IOException {
        listener.close();
        cut();
    }
}

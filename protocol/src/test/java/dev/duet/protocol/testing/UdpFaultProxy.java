package dev.duet.protocol.testing;

import java.io.Closeable;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A loopback UDP relay to one target that changes the network the ways a mobile one does. Each client address gets
 * an upstream socket of its own, as behind a NAT. {@link #rebind} gives every client a new upstream socket (the
 * target sees each client come from a new port, as after a NAT rebinding or a network change);
 * {@link #holdAfterFirstFlight} lets the next new client's datagrams through only until the target first answered,
 * holding the rest until {@link #release}, so whatever the target received came in the client's first flight;
 * {@link #blackHole} drops everything of the clients seen so far, both ways, while both ends believe the path is up. A
 * one-way delay, when given, holds every datagram that long each way, as a long link does (and keeps a loopback
 * target from answering before the client's first flight is all out). Two threads per client; meant for tests with a
 * handful of clients.
 */
public final class UdpFaultProxy implements Closeable {
    private static final int MAX_DATAGRAM = 65_535;

    private final DatagramSocket front;
    private volatile InetSocketAddress target;
    private final Map<SocketAddress, Association> associations = new ConcurrentHashMap<>();
    private final long delayMillis;
    private final ScheduledExecutorService delayed = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "udp-proxy-delay");
        thread.setDaemon(true);
        return thread;
    });
    private volatile boolean firstFlightForNext;

    public UdpFaultProxy(InetSocketAddress target) throws IOException {
        this(target, Duration.ZERO);
    }

    public UdpFaultProxy(InetSocketAddress target, Duration oneWayDelay) throws IOException {
        this.target = target;
        this.delayMillis = oneWayDelay.toMillis();
        this.front = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread reader = new Thread(this::relayFromClients, "udp-proxy-" + front.getLocalPort());
        reader.setDaemon(true);
        reader.start();
    }

    public int port() {
        return front.getLocalPort();
    }

    /** Clients seen so far (each new client address is one). */
    public int clients() {
        return associations.size();
    }

    /** Every client's datagrams go on from a new upstream port; its old one is closed. */
    public void rebind() throws IOException {
        for (Association association : associations.values()) {
            association.rebind();
        }
    }

    /** Sends what comes from now on to {@code next} instead (a server replaced behind the same address). */
    public void retarget(InetSocketAddress next) {
        target = next;
    }

    /** Drops every datagram of the clients seen so far, both ways, from now on; new clients get through. */
    public void blackHole() {
        for (Association association : associations.values()) {
            association.blackHole();
        }
    }

    /** The next new client gets through until the target's first answer; what it sends after waits for release. */
    public void holdAfterFirstFlight() {
        firstFlightForNext = true;
    }

    /** Sends what was held, and holds nothing more. */
    public void release() throws IOException {
        for (Association association : associations.values()) {
            association.release();
        }
    }

    private void relayFromClients() {
        byte[] buffer = new byte[MAX_DATAGRAM];
        while (!front.isClosed()) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                front.receive(packet);
                SocketAddress client = packet.getSocketAddress();
                Association association = associations.get(client);
                if (association == null) {
                    association = new Association(client, firstFlightForNext);
                    firstFlightForNext = false;
                    associations.put(client, association);
                }
                association.fromClient(Arrays.copyOfRange(buffer, 0, packet.getLength()));
            } catch (IOException e) {
                // closed, or one datagram failed: the next one is tried all the same
            }
        }
    }

    /** Runs {@code send} after the one-way delay; a send that fails is a lost datagram. */
    private void later(IoAction send) {
        delayed.schedule(() -> {
            try {
                send.run();
            } catch (IOException e) {
                // lost, as on a real link
            }
        }, delayMillis, TimeUnit.MILLISECONDS);
    }

    private interface IoAction {
        void run() throws IOException;
    }

    @Override
    public void close() {
        delayed.shutdownNow();
        front.close();
        associations.values().forEach(Association::close);
    }

    /** One client: its upstream socket and what is held of its datagrams. */
    private final class Association {
        private final SocketAddress client;
        private final List<byte[]> held = new ArrayList<>();
        private boolean firstFlightOnly;
        private boolean answered;
        private boolean blackHoled;
        private DatagramSocket upstream;

        Association(SocketAddress client, boolean firstFlightOnly) throws IOException {
            this.client = client;
            this.firstFlightOnly = firstFlightOnly;
            this.upstream = openUpstream();
        }

        private DatagramSocket openUpstream() throws IOException {
            DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Thread reader = new Thread(() -> relayFromTarget(socket), "udp-proxy-upstream-" + socket.getLocalPort());
            reader.setDaemon(true);
            reader.start();
            return socket;
        }

        synchronized void fromClient(byte[] datagram) {
            if (blackHoled) {
                return;
            }
            if (firstFlightOnly && answered) {
                held.add(datagram);
            } else {
                later(() -> toTarget(datagram));
            }
        }

        private synchronized void toTarget(byte[] datagram) throws IOException {
            upstream.send(new DatagramPacket(datagram, datagram.length, target));
        }

        private void relayFromTarget(DatagramSocket socket) {
            byte[] buffer = new byte[MAX_DATAGRAM];
            while (!socket.isClosed()) {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                try {
                    socket.receive(packet);
                    byte[] datagram = Arrays.copyOfRange(buffer, 0, packet.getLength());
                    later(() -> toClient(datagram));
                } catch (IOException e) {
                    // closed by a rebind or close, or one datagram failed
                }
            }
        }

        /** The client has an answer from the target now: what it sends from here on is past its first flight. */
        private void toClient(byte[] datagram) throws IOException {
            synchronized (this) {
                if (blackHoled) {
                    return;
                }
                answered = true;
            }
            front.send(new DatagramPacket(datagram, datagram.length, client));
        }

        synchronized void blackHole() {
            blackHoled = true;
            held.clear();
        }

        synchronized void rebind() throws IOException {
            DatagramSocket previous = upstream;
            upstream = openUpstream();
            previous.close();
        }

        synchronized void release() throws IOException {
            firstFlightOnly = false;
            for (byte[] datagram : held) {
                later(() -> toTarget(datagram));
            }
            held.clear();
        }

        synchronized void close() {
            upstream.close();
        }
    }
}

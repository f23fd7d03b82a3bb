package dev.duet.client;

import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;

import java.net.InetSocketAddress;

/**
 * Opens a channel to a presenter that carries the client protocol: the future completes once bytes can be sent on it
 * (TLS handshake done; QUIC stream open, possibly in 0-RTT early data). The channel has no protocol handlers yet, and
 * closing it closes everything the connector opened for it.
 */
interface Connector {
    Future<Channel> open(InetSocketAddress target);

    /** Whether what the channel sends now is 0-RTT early data, which the presenter may see replayed. */
    default boolean inEarlyData(Channel channel) {
        return false;
    }

    /**
     * How often the client must send something on {@code channel} to keep its path open (a QUIC path through NATs,
     * within its idle timeout); 0: never.
     */
    default long keepAliveMillis(Channel channel) {
        return 0;
    }
}

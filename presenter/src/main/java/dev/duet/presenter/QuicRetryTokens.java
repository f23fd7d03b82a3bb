package dev.duet.presenter;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.quic.QuicTokenHandler;
import io.netty.util.concurrent.FastThreadLocal;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * QUIC address validation, asked for only under load: a new connection is answered with a stateless Retry carrying
 * a token when {@code underLoad} says so for its source, and an Initial that comes back with the token has proven
 * its address before any state or handshake is spent on it. Otherwise connections start without a round trip.
 *
 * <p>A token is {@code issued millis (8) | HMAC-SHA256 (32) | original connection id}, the MAC over the time, the
 * connection id and the client's address and port (the connection id goes last: quiche takes the token's tail from
 * the offset {@link #validateToken} returns). It is good for {@link #LIFETIME_MILLIS} and only from the address it
 * was issued to. The key is this process's own: a Retry is answered by the presenter that sent it.
 */
final class QuicRetryTokens implements QuicTokenHandler {
    static final long LIFETIME_MILLIS = 10_000;
    private static final int MAX_CONNECTION_ID = 20;
    private static final int MAC_LENGTH = 32;
    private static final int ODCID_OFFSET = 8 + MAC_LENGTH;

    private final SecretKeySpec key;
    private final Predicate<InetSocketAddress> underLoad;
    private final Runnable retried;
    private final LongSupplier clock;
    private final FastThreadLocal<Mac> macs = new FastThreadLocal<>() {
        @Override
        protected Mac initialValue() throws GeneralSecurityException {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
        }
    };

    QuicRetryTokens(Predicate<InetSocketAddress> underLoad, Runnable retried) {
        // Tokens never leave this process: its monotonic clock, which a change of the wall clock cannot move.
        this(underLoad, retried, () -> System.nanoTime() / 1_000_000);
    }

    QuicRetryTokens(Predicate<InetSocketAddress> underLoad, Runnable retried, LongSupplier clock) {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        this.key = new SecretKeySpec(secret, "HmacSHA256");
        this.underLoad = underLoad;
        this.retried = retried;
        this.clock = clock;
    }

    @Override
    public boolean writeToken(ByteBuf out, ByteBuf dcid, InetSocketAddress address) {
        if (!underLoad.test(address) || dcid.readableBytes() > MAX_CONNECTION_ID) {
            return false;
        }
        long issued = clock.getAsLong();
        out.writeLong(issued);
        out.writeBytes(mac(issued, dcid, dcid.readerIndex(), dcid.readableBytes(), address));
        out.writeBytes(dcid, dcid.readerIndex(), dcid.readableBytes());
        retried.run();
        return true;
    }

    /** The offset of the original connection id in {@code token}, or -1 if the token is not ours, stale or forged. */
    @Override
    public int validateToken(ByteBuf token, InetSocketAddress address) {
        int start = token.readerIndex();
        int odcidLength = token.readableBytes() - ODCID_OFFSET;
        if (odcidLength < 0 || odcidLength > MAX_CONNECTION_ID) {
            return -1;
        }
        long issued = token.getLong(start);
        long age = clock.getAsLong() - issued;
        if (age < 0 || age > LIFETIME_MILLIS) {
            return -1;
        }
        byte[] given = new byte[MAC_LENGTH];
        token.getBytes(start + 8, given);
        byte[] expected = mac(issued, token, start + ODCID_OFFSET, odcidLength, address);
        return MessageDigest.isEqual(given, expected) ? ODCID_OFFSET : -1;
    }

    @Override
    public int maxTokenLength() {
        return ODCID_OFFSET + MAX_CONNECTION_ID;
    }

    private byte[] mac(long issued, ByteBuf odcid, int from, int length, InetSocketAddress address) {
        Mac mac = macs.get();
        for (int shift = 56; shift >= 0; shift -= 8) {
            mac.update((byte) (issued >>> shift));
        }
        mac.update(odcid.nioBuffer(from, length));
        mac.update(address.getAddress().getAddress());
        mac.update((byte) (address.getPort() >>> 8));
        mac.update((byte) address.getPort());
        return mac.doFinal();
    }
}

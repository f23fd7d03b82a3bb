package dev.duet.presenter;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Retry tokens: asked for only under load, and good only unchanged, from their address, and while fresh. */
class QuicRetryTokensTest {
    private static final InetSocketAddress CLIENT = new InetSocketAddress("192.0.2.7", 40_001);
    private static final byte[] ODCID = {1, 2, 3, 4, 5, 6, 7, 8};

    private final AtomicBoolean underLoad = new AtomicBoolean(true);
    private final AtomicInteger retries = new AtomicInteger();
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final QuicRetryTokens tokens = new QuicRetryTokens(address -> underLoad.get(), retries::incrementAndGet,
            now::get);
    private final ByteBuf token = Unpooled.buffer();
    private final ByteBuf dcid = Unpooled.wrappedBuffer(ODCID);

    @AfterEach
    void release() {
        token.release();
        dcid.release();
    }

    @Test
    void noTokenAndNoRetryUnlessUnderLoad() {
        underLoad.set(false);
        assertFalse(tokens.writeToken(token, dcid, CLIENT));
        assertEquals(0, token.readableBytes());
        assertEquals(0, retries.get());
    }

    @Test
    void aTokenValidatesFromItsAddressAndCarriesTheOriginalConnectionId() {
        assertTrue(tokens.writeToken(token, dcid, CLIENT));
        assertEquals(1, retries.get());
        assertEquals(tokens.maxTokenLength() - (20 - ODCID.length), token.readableBytes(),
                "as long as the longest allowed, less the shorter connection id");
        int offset = tokens.validateToken(token, CLIENT);
        assertTrue(offset > 0);
        byte[] odcid = new byte[token.readableBytes() - offset];
        token.getBytes(token.readerIndex() + offset, odcid);
        assertArrayEquals(ODCID, odcid);
    }

    @Test
    void aTokenFromAnotherAddressOrPortIsRefused() {
        tokens.writeToken(token, dcid, CLIENT);
        assertEquals(-1, tokens.validateToken(token, new InetSocketAddress("192.0.2.8", CLIENT.getPort())));
        assertEquals(-1, tokens.validateToken(token, new InetSocketAddress(CLIENT.getAddress(), 40_002)));
    }

    @Test
    void aTamperedTruncatedOrForeignTokenIsRefused() {
        tokens.writeToken(token, dcid, CLIENT);
        ByteBuf tampered = token.copy();
        tampered.setByte(tampered.writerIndex() - 1, tampered.getByte(tampered.writerIndex() - 1) ^ 1);
        assertEquals(-1, tokens.validateToken(tampered, CLIENT));
        tampered.release();
        assertEquals(-1, tokens.validateToken(token.slice(0, 20), CLIENT));
        QuicRetryTokens other = new QuicRetryTokens(address -> true, () -> { });
        assertEquals(-1, other.validateToken(token, CLIENT), "another presenter's key");
    }

    @Test
    void aTokenIsGoodForItsLifetimeOnly() {
        tokens.writeToken(token, dcid, CLIENT);
        now.addAndGet(QuicRetryTokens.LIFETIME_MILLIS);
        assertTrue(tokens.validateToken(token, CLIENT) > 0);
        now.incrementAndGet();
        assertEquals(-1, tokens.validateToken(token, CLIENT));
    }

    @Test
    void aTokenWhoseTimeWasChangedIsRefused() {
        tokens.writeToken(token, dcid, CLIENT);
        now.addAndGet(QuicRetryTokens.LIFETIME_MILLIS + 1);
        token.setLong(0, now.get());
        assertEquals(-1, tokens.validateToken(token, CLIENT), "the time is signed");
    }
}

package dev.duet.presenter;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServerTlsTest {

    @Test
    void aRenewedCertificateIsPickedUpWithoutARestartAndABrokenOneIsRefused(@TempDir Path dir) throws Exception {
        SelfSignedCertificate first = SelfSignedCertificate.in(dir.resolve("first"));
        SelfSignedCertificate second = SelfSignedCertificate.in(dir.resolve("second"));
        Path cert = Files.copy(first.certificate(), dir.resolve("cert.pem"));
        Path key = Files.copy(first.privateKey(), dir.resolve("key.pem"));
        try (ServerTls tls = new ServerTls(cert, key)) {
            SslContext original = tls.context();
            assertFalse(tls.reloadIfChanged(), "nothing changed");
            assertSame(original, tls.context());

            Files.copy(second.certificate(), cert, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(second.privateKey(), key, StandardCopyOption.REPLACE_EXISTING);
            Files.setLastModifiedTime(cert, FileTime.fromMillis(System.currentTimeMillis() + 5_000));
            assertTrue(tls.reloadIfChanged());
            SslContext renewed = tls.context();
            assertNotSame(original, renewed);

            Files.writeString(key, "not a key");
            Files.setLastModifiedTime(key, FileTime.fromMillis(System.currentTimeMillis() + 10_000));
            assertThrows(java.io.IOException.class, tls::reloadIfChanged);
            assertSame(renewed, tls.context(), "a broken file leaves the working certificate in place");
        }
    }

    /**
     * One connection per protocol, its bytes carried between two channels by hand: the server's first flight
     * (certificate and all) and its session tickets are larger than {@link ServerTls#HANDSHAKE_BUFFER_BYTES}, so the
     * handshake goes through the buffer's overflow path. Resumption through the same buffer: {@code PresenterTest}.
     */
    @Test
    void handshakesWhoseFlightsOutgrowTheHandshakeBufferComplete(@TempDir Path dir) throws Exception {
        SelfSignedCertificate certificate = SelfSignedCertificate.in(dir);
        try (ServerTls tls = new ServerTls(certificate.certificate(), certificate.privateKey())) {
            for (String protocol : List.of("TLSv1.3", "TLSv1.2")) {
                SslContext clientContext = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                        .trustManager(certificate.certificate().toFile()).protocols(protocol).build();
                SslHandler serverTls = tls.context().newHandler(ByteBufAllocator.DEFAULT);
                SslHandler clientTls = clientContext.newHandler(ByteBufAllocator.DEFAULT, "localhost", 8443);
                EmbeddedChannel server = new EmbeddedChannel(serverTls);
                EmbeddedChannel client = new EmbeddedChannel(clientTls);
                try {
                    for (int flight = 0; flight < 20 && !clientTls.handshakeFuture().isDone(); flight++) {
                        carry(client, server);
                        carry(server, client);
                    }
                    carry(client, server);
                    assertTrue(serverTls.handshakeFuture().isSuccess(), protocol + ": " + serverTls.handshakeFuture());
                    assertTrue(clientTls.handshakeFuture().isSuccess(), protocol + ": " + clientTls.handshakeFuture());
                    assertEquals(protocol, serverTls.engine().getSession().getProtocol());
                    assertEquals("hello", echo(client, server));
                    assertEquals("hello", echo(server, client));
                } finally {
                    server.finishAndReleaseAll();
                    client.finishAndReleaseAll();
                    ReferenceCountUtil.release(clientContext);
                }
            }
        }
    }

    private static String echo(EmbeddedChannel from, EmbeddedChannel to) {
        from.writeOutbound(Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII));
        carry(from, to);
        ByteBuf received = to.readInbound();
        try {
            return received.toString(StandardCharsets.US_ASCII);
        } finally {
            received.release();
        }
    }

    private static void carry(EmbeddedChannel from, EmbeddedChannel to) {
        for (Object bytes; (bytes = from.readOutbound()) != null; ) {
            to.writeInbound(bytes);
        }
        to.runPendingTasks();
        from.runPendingTasks();
    }
}

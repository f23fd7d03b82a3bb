package dev.duet.presenter;

import dev.duet.protocol.client.QuicSettings;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.SslSessionTicketKey;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.internal.tcnative.SSLContext;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The presenter's TLS: BoringSSL through netty-tcnative (TLS 1.3 and 1.2; ECDSA or RSA keys from PEM files), with
 * the certificate reloadable without a restart — {@link #reloadIfChanged()} builds a new context when the files
 * changed, and new connections use it while old ones keep theirs — and session-ticket keys that can be set from
 * outside ({@link #ticketKeys}), so presenters sharing them resume each other's sessions. The same certificate and
 * ticket keys serve QUIC when asked for ({@link #quicContext}): quiche's own BoringSSL, with 0-RTT early data
 * accepted (the replay rules are in docs/protocol.md).
 */
public final class ServerTls implements java.io.Closeable {
    private static final Logger log = LoggerFactory.getLogger(ServerTls.class);
    /**
     * The native buffer each connection keeps, for its whole life, for TLS records BoringSSL writes while Netty is
     * reading (the handshake flights, session tickets, alerts). Netty's default, 2 KB, is most of an idle
     * connection's native memory; what does not fit waits for the next wrap, which writes straight into the socket's
     * buffer, so a small one costs a handshake one more pass and holds nothing once it is done.
     */
    static final int HANDSHAKE_BUFFER_BYTES = 256;
    static final int TICKETS_PER_HANDSHAKE = 1;

    private final Path certificateChain;
    private final Path privateKey;
    private final boolean quic;
    private final AtomicReference<SslContext> context = new AtomicReference<>();
    private final AtomicReference<QuicSslContext> quicContext = new AtomicReference<>();
    private volatile FileTime loadedCertificate;
    private volatile FileTime loadedKey;
    private volatile List<OpenSslSessionTicketKey> ticketKeys = List.of();

    public ServerTls(Path certificateChain, Path privateKey) throws IOException {
        this(certificateChain, privateKey, false);
    }

    /** With {@code quic}, also the context for QUIC connections ({@link #quicContext}). */
    public ServerTls(Path certificateChain, Path privateKey, boolean quic) throws IOException {
        if (!OpenSsl.isAvailable()) {
            throw new IllegalStateException("BoringSSL (netty-tcnative) is not available: "
                    + OpenSsl.unavailabilityCause());
        }
        this.certificateChain = certificateChain;
        this.privateKey = privateKey;
        this.quic = quic;
        load();
    }

    /** The context for new connections. */
    public SslContext context() {
        return context.get();
    }

    /** The context for new QUIC connections; null unless built with QUIC. */
    public QuicSslContext quicContext() {
        return quicContext.get();
    }

    /** Rebuilds the context when the certificate or key file changed; returns whether it did. */
    public synchronized boolean reloadIfChanged() throws IOException {
        if (Files.getLastModifiedTime(certificateChain).equals(loadedCertificate)
                && Files.getLastModifiedTime(privateKey).equals(loadedKey)) {
            return false;
        }
        load();
        log.info("reloaded the TLS certificate from {}", certificateChain);
        return true;
    }

    /** Sets the session-ticket keys: the first encrypts new tickets, all decrypt. */
    public synchronized void ticketKeys(List<OpenSslSessionTicketKey> keys) {
        ticketKeys = List.copyOf(keys);
        apply(context.get());
        apply(quicContext.get());
    }

    private synchronized void load() throws IOException {
        FileTime certificateTime = Files.getLastModifiedTime(certificateChain);
        FileTime keyTime = Files.getLastModifiedTime(privateKey);
        SslContext built;
        try {
            built = SslContextBuilder.forServer(certificateChain.toFile(), privateKey.toFile())
                    .sslProvider(SslProvider.OPENSSL_REFCNT)
                    .protocols("TLSv1.3", "TLSv1.2")
                    .build();
        } catch (SSLException | IllegalArgumentException | IllegalStateException e) {
            throw new IOException("cannot build TLS from " + certificateChain + " and " + privateKey + ": "
                    + e.getMessage(), e);
        }
        // Sessions resume from tickets, which every presenter sharing the keys decrypts; a per-process cache of
        // sessions by id would only hold a native session per full handshake that no other presenter can use.
        ((OpenSslSessionContext) built.sessionContext()).setSessionCacheEnabled(false);
        ((ReferenceCountedOpenSslContext) built).setBioNonApplicationBufferSize(HANDSHAKE_BUFFER_BYTES);
        // One TLS 1.3 ticket per handshake, not BoringSSL's two: a client holds one connection and gets a fresh
        // ticket on each, and every ticket is a session to serialize and encrypt.
        long nativeContext = ((ReferenceCountedOpenSslContext) built).sslCtxPointer();
        if (!SSLContext.setNumTickets(nativeContext, TICKETS_PER_HANDSHAKE)) {
            log.warn("BoringSSL refused to send {} session ticket per handshake; it sends its default",
                    TICKETS_PER_HANDSHAKE);
        }
        QuicSslContext builtQuic = null;
        if (quic) {
            try {
                builtQuic = QuicSslContextBuilder.forServer(privateKey.toFile(), null, certificateChain.toFile())
                        .applicationProtocols(QuicSettings.ALPN)
                        .earlyData(true)
                        .build();
            } catch (RuntimeException e) {
                ReferenceCountUtil.release(built);
                throw new IOException("cannot build QUIC's TLS from " + certificateChain + " and " + privateKey
                        + ": " + e.getMessage(), e);
            }
            apply(builtQuic);
        }
        apply(built);
        quicContext.set(builtQuic);
        SslContext previous = context.getAndSet(built);
        loadedCertificate = certificateTime;
        loadedKey = keyTime;
        if (previous != null) {
            ReferenceCountUtil.release(previous);
        }
    }

    /**
     * Releases the current TCP context; connections already using it keep it until they close. (The QUIC context frees
     * its native part once unreachable and its last connection closed.)
     */
    @Override
    public synchronized void close() {
        SslContext current = context.getAndSet(null);
        if (current != null) {
            ReferenceCountUtil.release(current);
        }
    }

    private void apply(SslContext target) {
        if (target != null && !ticketKeys.isEmpty()) {
            ((OpenSslSessionContext) target.sessionContext())
                    .setTicketKeys(ticketKeys.toArray(OpenSslSessionTicketKey[]::new));
        }
    }

    private void apply(QuicSslContext target) {
        if (target != null && !ticketKeys.isEmpty()) {
            target.sessionContext().setTicketKeys(ticketKeys.stream()
                    .map(key -> new SslSessionTicketKey(key.name(), key.hmacKey(), key.aesKey()))
                    .toArray(SslSessionTicketKey[]::new));
        }
    }
}

package dev.duet.protocol.tls;

import dev.duet.protocol.logging.RateLimitedLog;
import io.netty.channel.Channel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;

/**
 * Mutual TLS on mux connections: TLS 1.3 through BoringSSL, each side proving with a certificate of the operator's
 * CA that it is what the other expects — a chat server accepts only presenters, a presenter talks only to chat
 * servers. The role is the certificate subject's {@code OU} ({@code presenter} or {@code chat-server}), so one CA can
 * issue both; a presenter also checks that the chat server's certificate names the host the ring gives for it. The files are PEM and are read again when they change: new connections use the new ones, open
 * connections keep theirs.
 */
public final class MuxTls implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(MuxTls.class);
    private static final RateLimitedLog reloadFailures = new RateLimitedLog(log);
    public static final String PRESENTER = "presenter";
    public static final String CHAT_SERVER = "chat-server";

    /** A certificate chain and its key (PEM), and the CA certificates the peer's chain must lead to. */
    public record PemFiles(Path certificateChain, Path privateKey, Path trustedCa) {
        List<Path> all() {
            return List.of(certificateChain, privateKey, trustedCa);
        }
    }

    private final PemFiles files;
    private final boolean server;
    private final String peerRole;
    private SslContext context;
    private List<FileTime> loaded;

    private MuxTls(PemFiles files, boolean server, String peerRole) throws IOException {
        if (!OpenSsl.isAvailable()) {
            throw new IllegalStateException("BoringSSL (netty-tcnative) is not available: "
                    + OpenSsl.unavailabilityCause());
        }
        this.files = files;
        this.server = server;
        this.peerRole = peerRole;
        reloadIfChanged();
    }

    /** A chat server's side: it accepts connections from presenters only. */
    public static MuxTls forChatServer(PemFiles files) throws IOException {
        return new MuxTls(files, true, PRESENTER);
    }

    /** A presenter's side: it connects to chat servers only. */
    public static MuxTls forPresenter(PemFiles files) throws IOException {
        return new MuxTls(files, false, CHAT_SERVER);
    }

    /** On a chat server: puts TLS and the check of the presenter's role first on an accepted connection. */
    public void install(Channel channel) {
        install(channel, null, -1);
    }

    /**
     * On a presenter: the same on a connection to {@code host:port}, a ring member's address, which the chat server's
     * certificate must name (a DNS or IP subject alternative name).
     */
    public void install(Channel channel, String host, int port) {
        SslContext current = retainCurrent();
        try {
            channel.pipeline().addFirst(new PeerRoleCheck(peerRole));
            channel.pipeline().addFirst(host == null ? current.newHandler(channel.alloc())
                    : current.newHandler(channel.alloc(), host, port));
        } finally {
            // The handler's engine holds the context now; a reload may release ours at any time after this.
            ReferenceCountUtil.release(current);
        }
    }

    /** The context for a new connection, loaded again first if its files changed, retained for the caller. */
    private synchronized SslContext retainCurrent() {
        try {
            reloadIfChanged();
        } catch (IOException e) {
            reloadFailures.warn("mux_tls_reload", "keeping the mux TLS files loaded before: {}", e.getMessage());
        }
        return ReferenceCountUtil.retain(context);
    }

    private synchronized SslContext reloadIfChanged() throws IOException {
        List<FileTime> times = new ArrayList<>();
        for (Path file : files.all()) {
            times.add(Files.getLastModifiedTime(file));
        }
        if (times.equals(loaded)) {
            return context;
        }
        SslContext built;
        try {
            SslContextBuilder builder = server
                    ? SslContextBuilder.forServer(files.certificateChain().toFile(), files.privateKey().toFile())
                            .clientAuth(ClientAuth.REQUIRE)
                    : SslContextBuilder.forClient().keyManager(files.certificateChain().toFile(),
                            files.privateKey().toFile()).endpointIdentificationAlgorithm("HTTPS");
            built = builder.trustManager(files.trustedCa().toFile()).sslProvider(SslProvider.OPENSSL_REFCNT)
                    .protocols("TLSv1.3").build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IOException("cannot build mux TLS from " + files + ": " + e.getMessage(), e);
        }
        SslContext previous = context;
        context = built;
        if (loaded != null) {
            log.info("reloaded the mux TLS files {}", files);
        }
        loaded = times;
        if (previous != null) {
            ReferenceCountUtil.release(previous);
        }
        return built;
    }

    @Override
    public synchronized void close() {
        if (context != null) {
            ReferenceCountUtil.release(context);
            context = null;
        }
    }
}

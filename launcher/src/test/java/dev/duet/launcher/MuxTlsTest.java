package dev.duet.launcher;

import dev.duet.chat.ChatServer;
import dev.duet.chat.testing.ChatCluster;
import dev.duet.chat.testing.MuxTestConnection;
import dev.duet.chat.testing.TestChatClient;
import dev.duet.protocol.tls.MuxTls;
import dev.duet.thrift.chat.AuthResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mutual TLS on the mux port: a chat server gives a session only to a peer with a presenter's certificate of its CA.
 * Plain TCP, a certificate of another CA, and a chat server's certificate of the right CA are all refused before any
 * stream opens; and a presenter refuses a chat server that shows a presenter's certificate.
 */
class MuxTlsTest {
    @TempDir
    Path dir;

    private ChatCluster cluster;
    private LocalCertificateAuthority ca;
    private final List<MuxTls> contexts = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        cluster = new ChatCluster();
        ca = LocalCertificateAuthority.in(dir.resolve("ca"));
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
        contexts.forEach(MuxTls::close);
    }

    private MuxTls tls(MuxTls context) {
        contexts.add(context);
        return context;
    }

    private ChatServer server(MuxTls.PemFiles files) throws Exception {
        MuxTls serverTls = tls(MuxTls.forChatServer(files));
        return cluster.startServer("chat-tls", b -> b.muxTls(serverTls));
    }

    @Test
    void aPresenterOfTheCaGetsASession() throws Exception {
        ChatServer server = server(ca.files(MuxTls.CHAT_SERVER));
        try (MuxTestConnection mux = MuxTestConnection.connect(cluster.clientGroup(), server.muxPort(),
                tls(MuxTls.forPresenter(ca.files(MuxTls.PRESENTER))))) {
            String couple = ChatCluster.newCouple();
            var opened = mux.open("ann", couple, "bob", cluster.token("ann", couple, "bob"), 0);
            AuthResponse auth = TestChatClient.success(opened.authReply().get(10, TimeUnit.SECONDS));
            assertEquals(couple, auth.getCoupleId());
        }
    }

    @Test
    void plainTcpAnotherCaAndTheWrongRoleGetNoSession() throws Exception {
        ChatServer server = server(ca.files(MuxTls.CHAT_SERVER));
        LocalCertificateAuthority other = LocalCertificateAuthority.in(dir.resolve("other-ca"));
        List<MuxTls> refused = new ArrayList<>();
        refused.add(null);
        refused.add(tls(MuxTls.forPresenter(other.files(MuxTls.PRESENTER))));
        refused.add(tls(MuxTls.forPresenter(ca.files(MuxTls.CHAT_SERVER))));
        for (MuxTls peer : refused) {
            ExecutionException closed = assertThrows(ExecutionException.class, () -> MuxTestConnection.connect(
                    cluster.clientGroup(), server.muxPort(), peer).close(), "no HELLO for " + peer);
            assertTrue(closed.getCause().getMessage().contains("closed"), closed.getCause().toString());
            assertTrue(ChatCluster.waitFor(() -> server.muxConnectionCount() == 0), "the chat server closed it");
        }
    }

    @Test
    void aPresenterRefusesAChatServerShowingAPresentersCertificateOrAnotherHostsName() throws Exception {
        ChatServer impostor = server(ca.files(MuxTls.PRESENTER));
        MuxTls presenter = tls(MuxTls.forPresenter(ca.files(MuxTls.PRESENTER)));
        ExecutionException closed = assertThrows(ExecutionException.class, () -> MuxTestConnection.connect(
                cluster.clientGroup(), impostor.muxPort(), presenter).close());
        assertTrue(closed.getCause().getMessage().contains("closed"), closed.getCause().toString());
        cluster.stop(impostor);

        ChatServer real = server(ca.files(MuxTls.CHAT_SERVER));
        assertThrows(ExecutionException.class, () -> MuxTestConnection.connect(cluster.clientGroup(),
                real.muxPort(), presenter, "chat-elsewhere.invalid").close(),
                "the certificate names localhost and 127.0.0.1, not the host the ring gave");
        MuxTestConnection.connect(cluster.clientGroup(), real.muxPort(), presenter, "localhost").close();
    }
}

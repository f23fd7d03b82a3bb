package dev.duet.launcher;

import dev.duet.chat.testing.SharedHBase;
import dev.duet.client.ChatListener;
import dev.duet.client.ClientOptions;
import dev.duet.client.ConnectionState;
import dev.duet.client.DuetClient;
import dev.duet.protocol.auth.TokenSigner;
import dev.duet.thrift.chat.ChatError;
import dev.duet.thrift.chat.ErrorCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A refused token reaches the app through the SDK, through a presenter: at connect (the presenter answers
 * {@code AUTH_FAILED} instead of closing silently) and when the token expires mid-session (the chat server ends the
 * session, and the reconnect is refused). Either way the SDK stops for good and says so.
 */
class AuthFailureTest {
    @TempDir
    Path data;

    private LocalCluster cluster;

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    private ClientOptions options(Duration ttl) {
        String token = new TokenSigner(cluster.keys(), Clock.systemUTC()).sign("ann", "couple-" + UUID.randomUUID(),
                "bob", ttl);
        return ClientOptions.of("127.0.0.1", cluster.presenter().port(), token, cluster.certificate().certificate());
    }

    @Test
    void aForgedTokenFailsTheConnectWithAuthFailed() throws Exception {
        cluster = LocalCluster.startOn(SharedHBase.get(), new LocalCluster.Settings(data, 1, 0, 0, 0));
        ClientOptions valid = options(Duration.ofHours(1));
        String forged = valid.token().substring(0, valid.token().length() - 4) + "AAAA";
        ClientOptions options = new ClientOptions(valid.presenters(), forged, valid.trustedCa(), true, 0,
                valid.callTimeout(), valid.maxBackoff());
        ExecutionException failed = assertThrows(ExecutionException.class,
                () -> DuetClient.connect(options, new ChatListener() { }).get(30, TimeUnit.SECONDS));
        assertEquals(ErrorCode.AUTH_FAILED, assertInstanceOf(ChatError.class, failed.getCause()).getCode());
    }

    @Test
    void aTokenExpiringMidSessionStopsTheClientWithAuthFailed() throws Exception {
        cluster = LocalCluster.startOn(SharedHBase.get(), new LocalCluster.Settings(data, 1, 0, 0, 0));
        CompletableFuture<ConnectionState> stopped = new CompletableFuture<>();
        try (DuetClient client = DuetClient.connect(options(Duration.ofSeconds(3)), new ChatListener() {
            @Override
            public void stateChanged(ConnectionState state) {
                if (state == ConnectionState.AUTH_FAILED) {
                    stopped.complete(state);
                }
            }
        }).get(30, TimeUnit.SECONDS)) {
            assertEquals(1, client.send("before it expires").get(30, TimeUnit.SECONDS).getSeq());
            assertEquals(ConnectionState.AUTH_FAILED, stopped.get(60, TimeUnit.SECONDS));
            ExecutionException refused = assertThrows(ExecutionException.class,
                    () -> client.send("after").get(30, TimeUnit.SECONDS));
            assertInstanceOf(java.io.IOException.class, refused.getCause(), "a stopped client fails sends at once");
        }
    }
}

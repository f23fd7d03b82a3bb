package dev.duet.launcher;

import dev.duet.client.ChatListener;
import dev.duet.client.ClientOptions;
import dev.duet.client.DuetClient;
import dev.duet.protocol.auth.TokenKeys;
import dev.duet.protocol.auth.TokenSigner;
import dev.duet.thrift.chat.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code duet local} as a user runs it — its own process — stopped with SIGTERM and started again on the same data:
 * the messages are still there, and tokens signed with the first run's keys still work. And stalled for a minute
 * (SIGSTOP, as a laptop asleep): it serves again once resumed.
 */
class DuetLocalProcessTest {
    @TempDir
    Path data;

    @Test
    void aRestartOfTheWholeSystemKeepsTheHistoryAndTheKeys() throws Exception {
        int port = TestSystem.freePort();
        String token;
        try (LocalProcess first = startLocal(port)) {
            token = new TokenSigner(TokenKeys.load(LocalCluster.keyFile(data)), Clock.systemUTC())
                    .sign("ann", "restart-couple", "bob", Duration.ofHours(1));
            try (DuetClient ann = connect(port, token)) {
                ann.send("before the restart").get(30, TimeUnit.SECONDS);
                ann.send("still before").get(30, TimeUnit.SECONDS);
            }
        }
        try (LocalProcess second = startLocal(port); DuetClient ann = connect(port, token)) {
            List<String> bodies = ann.history(0, 10).get(30, TimeUnit.SECONDS).getMessages().stream()
                    .map(Message::getBody).toList();
            assertEquals(List.of("before the restart", "still before"), bodies);
        }
    }

    @Test
    void aMinuteLongStallOfTheWholeProcessIsRiddenOut() throws Exception {
        int port = TestSystem.freePort();
        try (LocalProcess local = startLocal(port)) {
            String token = new TokenSigner(TokenKeys.load(LocalCluster.keyFile(data)), Clock.systemUTC())
                    .sign("ann", "stall-couple", "bob", Duration.ofHours(1));
            try (DuetClient ann = connect(port, token)) {
                assertEquals(1, ann.send("before the stall").get(30, TimeUnit.SECONDS).getSeq());
                local.signal("STOP");
                Thread.sleep(60_000);
                local.signal("CONT");
                assertEquals(2, ann.send("after the stall").get(60, TimeUnit.SECONDS).getSeq(),
                        "HBase came back with the process: its region server did not abort");
            }
        }
    }

    private DuetClient connect(int port, String token) throws Exception {
        return DuetClient.connect(ClientOptions.of("127.0.0.1", port, token, data.resolve("tls/cert.pem"))
                .withLastSeenSeq(Long.MAX_VALUE), new ChatListener() { }).get(60, TimeUnit.SECONDS);
    }

    private LocalProcess startLocal(int port) throws Exception {
        return LocalProcess.start(data, port, TestSystem.freePort());
    }
}

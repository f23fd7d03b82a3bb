package dev.duet.launcher;

import dev.duet.client.ChatListener;
import dev.duet.client.ClientOptions;
import dev.duet.client.DuetClient;
import dev.duet.protocol.auth.TokenKeys;
import dev.duet.protocol.auth.TokenSigner;
import dev.duet.thrift.chat.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        Process first = startLocal(port);
        String token;
        try {
            token = new TokenSigner(TokenKeys.load(LocalCluster.keyFile(data)), Clock.systemUTC())
                    .sign("ann", "restart-couple", "bob", Duration.ofHours(1));
            try (DuetClient ann = connect(port, token)) {
                ann.send("before the restart").get(30, TimeUnit.SECONDS);
                ann.send("still before").get(30, TimeUnit.SECONDS);
            }
        } finally {
            stop(first);
        }
        Process second = startLocal(port);
        try (DuetClient ann = connect(port, token)) {
            List<String> bodies = ann.history(0, 10).get(30, TimeUnit.SECONDS).getMessages().stream()
                    .map(Message::getBody).toList();
            assertEquals(List.of("before the restart", "still before"), bodies);
        } finally {
            stop(second);
        }
    }

    @Test
    void aMinuteLongStallOfTheWholeProcessIsRiddenOut() throws Exception {
        int port = TestSystem.freePort();
        Process local = startLocal(port);
        try {
            String token = new TokenSigner(TokenKeys.load(LocalCluster.keyFile(data)), Clock.systemUTC())
                    .sign("ann", "stall-couple", "bob", Duration.ofHours(1));
            try (DuetClient ann = connect(port, token)) {
                assertEquals(1, ann.send("before the stall").get(30, TimeUnit.SECONDS).getSeq());
                signal(local, "STOP");
                Thread.sleep(60_000);
                signal(local, "CONT");
                assertEquals(2, ann.send("after the stall").get(60, TimeUnit.SECONDS).getSeq(),
                        "HBase came back with the process: its region server did not abort");
            }
        } finally {
            stop(local);
        }
    }

    private static void signal(Process process, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start();
        assertEquals(0, kill.waitFor(), "kill -" + signal);
    }

    private DuetClient connect(int port, String token) throws Exception {
        return DuetClient.connect(ClientOptions.of("127.0.0.1", port, token, data.resolve("tls/cert.pem"))
                .withLastSeenSeq(Long.MAX_VALUE), new ChatListener() { }).get(60, TimeUnit.SECONDS);
    }

    private Process startLocal(int port) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/java.nio=ALL-UNNAMED",
                "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens",
                "java.base/java.util.concurrent=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), DuetLauncher.class.getName(), "local",
                "--data", data.toString(), "--port", Integer.toString(port),
                "--zookeeper-port", Integer.toString(TestSystem.freePort()), "--mux-port", "0"));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        for (String line; System.nanoTime() < deadline && (line = out.readLine()) != null; ) {
            if (line.startsWith("Duet is running")) {
                Thread drain = new Thread(() -> out.lines().forEach(ignored -> { }), "duet-local-stdout");
                drain.setDaemon(true);
                drain.start();
                return process;
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("duet local did not start");
    }

    private static void stop(Process process) throws InterruptedException {
        process.destroy();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "duet local stops within 30 s of SIGTERM");
    }
}

package dev.duet.launcher;

import dev.duet.chat.testing.SharedHBase;
import dev.duet.client.ChatListener;
import dev.duet.client.ClientOptions;
import dev.duet.client.DuetClient;
import dev.duet.protocol.auth.TokenSigner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The deploy scripts (deploy/lifecycle, deploy/dns) run for real against a running presenter and chat server, with a
 * fake {@code aws} on the PATH that records its arguments and the time of each call.
 */
class DeployHooksTest {
    private static final Path DEPLOY = Path.of("..", "deploy").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    private LocalCluster cluster;
    private Path awsLog;

    @BeforeEach
    void start() throws Exception {
        cluster = LocalCluster.startOn(SharedHBase.get(), new LocalCluster.Settings(dir.resolve("data"), 1, 0, 0, 0));
        awsLog = dir.resolve("aws.log");
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path aws = bin.resolve("aws");
        Files.writeString(aws, "#!/usr/bin/env bash\necho \"$(date +%s) $*\" >> " + awsLog + "\n");
        Files.setPosixFilePermissions(aws, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    private Process hooks(String phase, String serverId, String role, Map<String, String> extra) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("bash", DEPLOY.resolve("lifecycle/run-hooks.sh").toString(), phase)
                .redirectErrorStream(true).redirectOutput(dir.resolve(phase + ".out").toFile());
        Map<String, String> env = builder.environment();
        env.put("PATH", dir.resolve("bin") + ":" + env.get("PATH"));
        env.put("INSTANCE_ID", "i-0123");
        env.put("LIFECYCLE_HOOK_NAME", "duet-" + phase);
        env.put("ASG_NAME", "presenters");
        env.put("DUET_ROLE", role);
        env.put("DUET_ADMIN", "http://127.0.0.1:" + cluster.adminPorts().get(serverId));
        env.put("DUET_ADMIN_TOKEN_FILE", LocalCluster.adminTokenFile(dir.resolve("data")).toString());
        env.put("HOSTED_ZONE_ID", "Z123");
        env.put("RECORD_NAME", "chat.example.com.");
        env.put("RECORD_VALUE", "203.0.113.7");
        env.put("WEIGHT_STATE", dir.resolve("weight").toString());
        env.put("DRAIN_POLL_SECONDS", "1");
        env.putAll(extra);
        return builder.start();
    }

    private List<String> awsCalls() throws Exception {
        return Files.exists(awsLog) ? Files.readAllLines(awsLog) : List.of();
    }

    private static String call(String line) {
        return line.substring(line.indexOf(' ') + 1);
    }

    private DuetClient client() throws Exception {
        String token = new TokenSigner(cluster.keys(), Clock.systemUTC()).sign("ann", "hooks", "bob", Duration.ofHours(1));
        return DuetClient.connect(ClientOptions.of("127.0.0.1", cluster.presenter().port(), token,
                cluster.certificate().certificate()), new ChatListener() { }).get(60, TimeUnit.SECONDS);
    }

    @Test
    void launchWaitsForReadyThenPublishesTheRecordThenContinues() throws Exception {
        Process launch = hooks("launch", "presenter-1", "presenter", Map.of());
        assertTrue(launch.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, launch.exitValue(), Files.readString(dir.resolve("launch.out")));
        List<String> calls = awsCalls();
        assertEquals(2, calls.size(), calls.toString());
        assertTrue(call(calls.get(0)).startsWith("route53 change-resource-record-sets --hosted-zone-id Z123 "
                + "--change-batch "), calls.get(0));
        assertTrue(calls.get(0).contains("\"SetIdentifier\":\"i-0123\""), calls.get(0));
        assertTrue(calls.get(0).matches(".*\"Weight\":([1-9][0-9]*),.*"), "a serving presenter has a positive weight");
        assertEquals("autoscaling complete-lifecycle-action --lifecycle-hook-name duet-launch "
                + "--auto-scaling-group-name presenters --instance-id i-0123 --lifecycle-action-result CONTINUE",
                call(calls.get(1)));
    }

    @Test
    void terminateZeroesDnsDrainsWaitsForTheQuietPeriodWithHeartbeatsThenContinues() throws Exception {
        DuetClient connected = client();
        Process terminate = hooks("terminate", "presenter-1", "presenter",
                Map.of("QUIET_PERIOD_SECONDS", "4", "HEARTBEAT_SECONDS", "1", "DRAIN_DEADLINE_SECONDS", "120"));
        Thread.sleep(4_000);
        assertTrue(terminate.isAlive(), "a client is still connected: the hook waits");
        assertTrue(cluster.presenter().isDraining());
        connected.close();
        long left = System.currentTimeMillis() / 1000;
        assertTrue(terminate.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, terminate.exitValue(), Files.readString(dir.resolve("terminate.out")));

        List<String> calls = awsCalls();
        assertTrue(call(calls.get(0)).startsWith("route53 change-resource-record-sets"), calls.toString());
        assertTrue(calls.get(0).contains("\"Weight\":0,"), "DNS goes to weight 0 first");
        assertTrue(calls.stream().anyMatch(c -> call(c).startsWith("autoscaling record-lifecycle-action-heartbeat")),
                "heartbeats while the drain runs long");
        String last = calls.get(calls.size() - 1);
        assertTrue(call(last).endsWith("complete-lifecycle-action --lifecycle-hook-name duet-terminate "
                + "--auto-scaling-group-name presenters --instance-id i-0123 --lifecycle-action-result CONTINUE"), last);
        long completedAt = Long.parseLong(last.substring(0, last.indexOf(' ')));
        assertTrue(completedAt - left >= 4, "completed only after the quiet period");
        assertEquals(1, calls.stream().filter(c -> c.contains("complete-lifecycle-action")).count());
    }

    @Test
    void aDrainThatMissesItsDeadlineAbandons() throws Exception {
        try (DuetClient stays = client()) {
            Process terminate = hooks("terminate", "presenter-1", "presenter",
                    Map.of("QUIET_PERIOD_SECONDS", "1", "DRAIN_DEADLINE_SECONDS", "3"));
            assertTrue(terminate.waitFor(60, TimeUnit.SECONDS));
            assertEquals(1, terminate.exitValue());
            List<String> calls = awsCalls();
            assertTrue(call(calls.get(calls.size() - 1)).endsWith("--lifecycle-action-result ABANDON"), calls.toString());
        }
    }

    @Test
    void aChatServerLeavesTheRingAndContinuesOnceItsStreamsAreGone() throws Exception {
        Process terminate = hooks("terminate", "chat-1", "chat-server", Map.of("DRAIN_DEADLINE_SECONDS", "60"));
        assertTrue(terminate.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, terminate.exitValue(), Files.readString(dir.resolve("terminate.out")));
        assertTrue(cluster.presenter().ring().awaitRing(ring -> ring.member("chat-1").isEmpty(), Duration.ofSeconds(30)));
        List<String> calls = awsCalls();
        assertEquals(1, calls.size(), "no DNS change for a chat server: " + calls);
        assertTrue(call(calls.get(0)).endsWith("--lifecycle-action-result CONTINUE"));
    }
}

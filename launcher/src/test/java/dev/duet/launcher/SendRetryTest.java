package dev.duet.launcher;

import dev.duet.chat.testing.SharedHBase;
import dev.duet.client.ChatListener;
import dev.duet.client.ClientOptions;
import dev.duet.client.ConnectionState;
import dev.duet.client.DuetClient;
import dev.duet.protocol.auth.TokenSigner;
import dev.duet.protocol.testing.FaultProxy;
import dev.duet.thrift.chat.SendResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SDK's sends under a stalled link and with presenters that are gone: acknowledged in the end, never twice. */
class SendRetryTest {
    @TempDir
    Path data;

    private LocalCluster cluster;
    private FaultProxy proxy;
    private DuetClient client;

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private ClientOptions options(int port) {
        String token = new TokenSigner(cluster.keys(), Clock.systemUTC()).sign("ann", "couple-" + UUID.randomUUID(),
                "bob", Duration.ofHours(1));
        return ClientOptions.of("127.0.0.1", port, token, cluster.certificate().certificate());
    }

    @Test
    void aSendWhoseReplyIsLateIsRetriedOnTheSameConnectionUntilAcknowledged() throws Exception {
        cluster = LocalCluster.startOn(SharedHBase.get(), new LocalCluster.Settings(data, 1, 0, 0, 0));
        proxy = new FaultProxy(new InetSocketAddress("127.0.0.1", cluster.presenter().port()));
        List<ConnectionState> states = new CopyOnWriteArrayList<>();
        client = DuetClient.connect(options(proxy.port()).withCallTimeout(Duration.ofMillis(300)), new ChatListener() {
            @Override
            public void stateChanged(ConnectionState state) {
                states.add(state);
            }
        }).get(60, TimeUnit.SECONDS);
        assertEquals(ConnectionState.CONNECTED, client.state());

        proxy.hold(FaultProxy.Direction.FROM_TARGET);
        CompletableFuture<SendResult> send = client.send("m-1", "through a stalled link");
        Thread.sleep(1_500);
        assertFalse(send.isDone(), "no reply can have come through");
        proxy.release();
        SendResult result = send.get(30, TimeUnit.SECONDS);
        assertEquals(1, result.getSeq());
        assertEquals(List.of(ConnectionState.CONNECTED), states, "the connection stayed up: retried on it");
        assertEquals(1, client.history(0, 10).get(30, TimeUnit.SECONDS).getMessagesSize(), "stored once");
    }

    @Test
    void theClientFailsOverToTheNextPresenterAddress() throws Exception {
        cluster = LocalCluster.startOn(SharedHBase.get(), new LocalCluster.Settings(data, 1, 0, 0, 0));
        InetSocketAddress nobody = InetSocketAddress.createUnresolved("127.0.0.1", TestSystem.freePort());
        InetSocketAddress presenter = InetSocketAddress.createUnresolved("127.0.0.1", cluster.presenter().port());
        client = DuetClient.connect(options(presenter.getPort()).withPresenters(List.of(nobody, presenter)),
                new ChatListener() { }).get(60, TimeUnit.SECONDS);
        assertTrue(client.send("m-1", "via the second address").get(30, TimeUnit.SECONDS).getSeq() > 0);
    }
}

package dev.duet.launcher;

import dev.duet.chat.ChatServer;
import dev.duet.chat.testing.SharedHBase;
import dev.duet.client.ChatListener;
import dev.duet.client.ClientOptions;
import dev.duet.client.DuetClient;
import dev.duet.protocol.auth.TokenSigner;
import dev.duet.ring.HashRing;
import dev.duet.ring.Member;
import dev.duet.thrift.chat.Message;
import dev.duet.thrift.chat.SendResult;
import dev.duet.thrift.chat.SessionEndReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole system on one machine, as {@code ./duet local} runs it, driven by the client SDK over TLS. One in-process
 * HBase serves every test (it cannot start twice in a JVM); each test starts its own chat servers and presenter.
 */
class LocalClusterTest {
    @TempDir
    Path data;

    private LocalCluster cluster;
    private final List<DuetClient> clients = new ArrayList<>();

    private LocalCluster start() throws Exception {
        cluster = LocalCluster.startOn(SharedHBase.get(), new LocalCluster.Settings(data, 2, 0, 0, 0));
        return cluster;
    }

    @AfterEach
    void stop() throws Exception {
        clients.forEach(DuetClient::close);
        if (cluster != null) {
            cluster.close();
        }
    }

    /** A client that collects what is pushed to it. */
    private final class Person implements ChatListener {
        final BlockingQueue<Message> messages = new LinkedBlockingQueue<>();
        final BlockingQueue<String> typing = new LinkedBlockingQueue<>();
        final BlockingQueue<SessionEndReason> endings = new LinkedBlockingQueue<>();
        DuetClient client;

        Person connect(String user, String couple, String partner, long lastSeen) throws Exception {
            String token = new TokenSigner(cluster.keys(), Clock.systemUTC()).sign(user, couple, partner,
                    Duration.ofHours(1));
            ClientOptions options = ClientOptions.of("127.0.0.1", cluster.presenter().port(), token,
                    cluster.certificate().certificate()).withLastSeenSeq(lastSeen);
            client = DuetClient.connect(options, this).get(60, TimeUnit.SECONDS);
            clients.add(client);
            return this;
        }

        @Override
        public void messageReceived(Message message) {
            messages.add(message);
        }

        @Override
        public void partnerTyping(String userId, boolean isTyping) {
            typing.add(userId + ":" + isTyping);
        }

        Message next() throws InterruptedException {
            return messages.poll(30, TimeUnit.SECONDS);
        }

        @Override
        public void sessionEnding(SessionEndReason reason, String detail) {
            endings.add(reason);
        }
    }

    private static String couple() {
        return "couple-" + UUID.randomUUID();
    }

    @Test
    void twoPeopleChatLiveTypingStaysVolatileAndAnOfflinePartnerCatchesUp() throws Exception {
        start();
        String couple = couple();
        Person ann = new Person().connect("ann", couple, "bob", 0);
        Person bob = new Person().connect("bob", couple, "ann", 0);

        SendResult hello = ann.client.send("hello bob").get(30, TimeUnit.SECONDS);
        Message live = bob.next();
        assertEquals("hello bob", live.getBody());
        assertEquals(hello.getSeq(), live.getSeq());

        bob.client.typing(true).get(30, TimeUnit.SECONDS);
        assertEquals("bob:true", ann.typing.poll(30, TimeUnit.SECONDS));

        long bobSeen = bob.client.lastSeenSeq();
        bob.client.close();
        for (int i = 1; i <= 5; i++) {
            ann.client.send("while you were away " + i).get(30, TimeUnit.SECONDS);
        }
        Person bobAgain = new Person().connect("bob", couple, "ann", bobSeen);
        for (int i = 1; i <= 5; i++) {
            Message missed = bobAgain.next();
            assertNotNull(missed, "missed message " + i);
            assertEquals("while you were away " + i, missed.getBody());
            assertEquals(bobSeen + i, missed.getSeq());
        }
        assertNull(bobAgain.messages.poll(1, TimeUnit.SECONDS));
        assertEquals(6, bobAgain.client.history(0, 50).get(30, TimeUnit.SECONDS).getMessagesSize(),
                "typing left nothing in the history");
    }

    @Test
    void stoppingTheClusterTellsConnectedClientsItIsDraining() throws Exception {
        start();
        Person ann = new Person().connect("ann", couple(), "bob", 0);
        cluster.close();
        cluster = null;
        assertEquals(SessionEndReason.DRAINING, ann.endings.poll(30, TimeUnit.SECONDS));
    }

    @Test
    void historySurvivesARestartOfEveryServer() throws Exception {
        start();
        String couple = couple();
        Person ann = new Person().connect("ann", couple, "bob", 0);
        ann.client.send("remember me").get(30, TimeUnit.SECONDS);
        ann.client.send("and me").get(30, TimeUnit.SECONDS);
        clients.forEach(DuetClient::close);
        clients.clear();
        cluster.close();

        start();
        Person bob = new Person().connect("bob", couple, "ann", Long.MAX_VALUE);
        assertEquals(List.of("remember me", "and me"), bob.client.history(0, 10).get(30, TimeUnit.SECONDS)
                .getMessages().stream().map(Message::getBody).toList());
    }

    @Test
    void whenAChatServerDiesItsCouplesMoveAndNoAcknowledgedMessageIsLostOrDuplicated() throws Exception {
        start();
        List<Member> members = cluster.chatServers().stream()
                .map(server -> new Member(server.id(), "127.0.0.1", 1, 0)).toList();
        ChatServer victim = cluster.chatServers().get(0);
        String couple;
        do {
            couple = couple();
        } while (!HashRing.of(1, members).ownerOf(couple).id().equals(victim.id()));
        Person ann = new Person().connect("ann", couple, "bob", 0);
        Person bob = new Person().connect("bob", couple, "ann", 0);

        List<CompletableFuture<SendResult>> sent = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            sent.add(ann.client.send("before " + i));
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        cluster.kill(victim);
        for (int i = 0; i < 10; i++) {
            sent.add(ann.client.send("after " + i));
        }
        Set<Long> seqs = new HashSet<>();
        for (CompletableFuture<SendResult> result : sent) {
            assertTrue(seqs.add(result.get(120, TimeUnit.SECONDS).getSeq()), "a seq was acknowledged twice");
        }
        List<Message> stored = bob.client.history(0, 100).get(30, TimeUnit.SECONDS).getMessages();
        assertEquals(20, stored.size(), "every acknowledged message is stored, once");
        for (int i = 0; i < 20; i++) {
            assertEquals(i + 1, stored.get(i).getSeq());
        }
        Set<Long> seenByBob = new HashSet<>();
        for (Message message; (message = bob.messages.poll(5, TimeUnit.SECONDS)) != null; ) {
            seenByBob.add(message.getSeq());
            if (seenByBob.size() == 20) {
                break;
            }
        }
        assertEquals(20, seenByBob.size(), "bob, reconnected, received every message");
    }
}

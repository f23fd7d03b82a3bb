package dev.duet.chat;

import dev.duet.chat.service.ChatLimits;
import dev.duet.chat.store.AppendRequest;
import dev.duet.chat.store.HBaseChatStore;
import dev.duet.chat.store.OwnerClaim;
import dev.duet.chat.testing.ChatCluster;
import dev.duet.chat.testing.SharedHBase;
import dev.duet.chat.testing.TestChatClient;
import dev.duet.protocol.client.ThriftMessage;
import dev.duet.protocol.testing.HostileInput;
import dev.duet.thrift.chat.AuthResponse;
import dev.duet.thrift.chat.ChatError;
import dev.duet.thrift.chat.ChatService;
import dev.duet.thrift.chat.ClientEvents;
import dev.duet.thrift.chat.ErrorCode;
import dev.duet.thrift.chat.History;
import dev.duet.thrift.chat.Message;
import dev.duet.thrift.chat.SendResult;
import dev.duet.thrift.chat.SessionEndReason;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.ConnectionFactory;
import org.apache.hadoop.hbase.client.Result;
import org.apache.hadoop.hbase.client.ResultScanner;
import org.apache.hadoop.hbase.client.Scan;
import org.apache.hadoop.hbase.client.Table;
import org.apache.hadoop.hbase.util.Bytes;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.protocol.TMessageType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.duet.chat.testing.ChatCluster.newCouple;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chat service over direct connections, against a real HBase and ZooKeeper. */
class ChatServiceTest {
    private ChatCluster cluster;
    private ChatServer server;

    @BeforeEach
    void start() throws Exception {
        cluster = new ChatCluster();
        server = cluster.startServer("chat-a");
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    private TestChatClient login(String user, String couple, String partner, long lastSeen) throws Exception {
        TestChatClient client = cluster.connect(server);
        client.authenticate(cluster.token(user, couple, partner), lastSeen);
        return client;
    }

    private static Message received(ThriftMessage push) {
        assertNotNull(push, "expected a push");
        assertEquals("messageReceived", push.name());
        return ((ClientEvents.messageReceived_args) push.body()).getMessage();
    }

    @Test
    void aMessageIsAcknowledgedThenPushedToEveryDeviceOfTheCoupleTheSendersOwnIncluded() throws Exception {
        String couple = newCouple();
        TestChatClient ann = login("ann", couple, "bob", 0);
        TestChatClient annTablet = login("ann", couple, "bob", 0);
        TestChatClient bob = login("bob", couple, "ann", 0);

        SendResult sent = ann.send("m-1", "hello bob");
        assertEquals(1, sent.getSeq());
        assertFalse(sent.isDuplicate());
        Message atBob = received(bob.nextPush(10));
        assertEquals("hello bob", atBob.getBody());
        assertEquals("ann", atBob.getSenderId());
        assertEquals(1, atBob.getSeq());
        assertEquals(sent.getTimestamp(), atBob.getTimestamp());
        assertEquals("hello bob", received(annTablet.nextPush(10)).getBody());
        assertEquals(1, received(ann.nextPush(10)).getSeq(), "the sending device sees its message in the stream too");
        assertNull(ann.nextPush(1), "once");
    }

    @Test
    void retryingAClientMessageIdReturnsTheSameSeqAndStoresOneCopy() throws Exception {
        String couple = newCouple();
        TestChatClient ann = login("ann", couple, "bob", 0);
        SendResult first = ann.send("m-1", "only once");
        ann.close();
        TestChatClient again = login("ann", couple, "bob", 1);
        SendResult retry = again.send("m-1", "only once");
        assertEquals(first.getSeq(), retry.getSeq());
        assertEquals(first.getTimestamp(), retry.getTimestamp());
        assertTrue(retry.isDuplicate());
        History history = again.history(0, 50);
        assertEquals(1, history.getMessagesSize());
    }

    @Test
    void historyPagesBackwardsOldestFirst() throws Exception {
        String couple = newCouple();
        TestChatClient ann = login("ann", couple, "bob", 0);
        for (int i = 1; i <= 7; i++) {
            ann.send("m-" + i, "message " + i);
        }
        History newest = ann.history(0, 3);
        assertEquals(List.of(5L, 6L, 7L), newest.getMessages().stream().map(Message::getSeq).toList());
        assertTrue(newest.isMore());
        History older = ann.history(5, 10);
        assertEquals(List.of(1L, 2L, 3L, 4L), older.getMessages().stream().map(Message::getSeq).toList());
        assertFalse(older.isMore());
    }

    @Test
    void aReconnectingClientGetsWhatItMissedInOrderThenLiveMessages() throws Exception {
        String couple = newCouple();
        TestChatClient ann = login("ann", couple, "bob", 0);
        ann.send("m-0", "before bob's last visit");
        for (int i = 1; i <= 5; i++) {
            ann.send("m-" + i, "while bob was away " + i);
        }
        TestChatClient bob = cluster.connect(server);
        AuthResponse auth = bob.authenticate(cluster.token("bob", couple, "ann"), 1);
        assertEquals(6, auth.getLastSeq());
        List<Long> missed = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            missed.add(received(bob.nextPush(10)).getSeq());
        }
        assertEquals(List.of(2L, 3L, 4L, 5L, 6L), missed);
        ann.send("m-6", "live");
        assertEquals(7, received(bob.nextPush(10)).getSeq());
        assertNull(bob.nextPush(1), "each message exactly once");
    }

    @Test
    void historySurvivesAChatServerRestart() throws Exception {
        String couple = newCouple();
        TestChatClient ann = login("ann", couple, "bob", 0);
        ann.send("m-1", "persist me");
        ann.send("m-2", "me too");
        cluster.stop(server);
        server = cluster.startServer("chat-a");
        TestChatClient bob = login("bob", couple, "ann", 2);
        assertEquals(List.of("persist me", "me too"),
                bob.history(0, 10).getMessages().stream().map(Message::getBody).toList());
    }

    @Test
    void typingReachesThePartnerAndNeverHBase() throws Exception {
        String couple = newCouple();
        TestChatClient ann = login("ann", couple, "bob", 0);
        TestChatClient bob = login("bob", couple, "ann", 0);
        bob.call("setTyping", new ChatService.setTyping_args(true));
        ThriftMessage typing = ann.nextPush(10);
        assertEquals("partnerTyping", typing.name());
        ClientEvents.partnerTyping_args args = (ClientEvents.partnerTyping_args) typing.body();
        assertEquals("bob", args.getUserId());
        assertTrue(args.isTyping());
        assertNull(bob.nextPush(1), "typing goes to the partner only");

        Set<String> claimOnly = Set.of("s:fence");
        assertEquals(claimOnly, cellsOf(couple), "typing wrote to HBase");
        ann.send("m-1", "hi");
        assertEquals(Set.of("i:ann\u0000m-1", "m:seq1", "s:fence"), cellsOf(couple),
                "a message, its idempotency key and the fence: nothing else is written per message");
    }

    @Test
    void readMarksAreStoredAndPushedToThePartner() throws Exception {
        String couple = newCouple();
        TestChatClient ann = login("ann", couple, "bob", 0);
        TestChatClient bob = login("bob", couple, "ann", 0);
        TestChatClient bobTablet = login("bob", couple, "ann", 0);
        ann.send("m-1", "read me");
        ann.send("m-2", "and me");
        for (TestChatClient device : List.of(ann, bob, bobTablet)) {
            assertEquals(1, received(device.nextPush(10)).getSeq());
            assertEquals(2, received(device.nextPush(10)).getSeq());
        }
        bob.call("markRead", new ChatService.markRead_args(9));
        for (TestChatClient device : List.of(ann, bobTablet)) {
            ThriftMessage mark = device.nextPush(10);
            assertEquals("readMarkUpdated", mark.name());
            assertEquals("bob", ((ClientEvents.readMarkUpdated_args) mark.body()).getUserId());
            assertEquals(2, ((ClientEvents.readMarkUpdated_args) mark.body()).getSeq(), "never past the last seq");
        }
        bob.call("markRead", new ChatService.markRead_args(1));
        assertEquals(2, ((ClientEvents.readMarkUpdated_args) ann.nextPush(10).body()).getSeq(),
                "a read mark never moves back");
        TestChatClient annAgain = cluster.connect(server);
        assertEquals(2, annAgain.authenticate(cluster.token("ann", couple, "bob"), 2).getPartnerReadSeq());
    }

    @Test
    void oneCoupleNeverSeesAnother() throws Exception {
        String x = newCouple();
        String y = newCouple();
        TestChatClient annX = login("ann", x, "bob", 0);
        TestChatClient carolY = login("carol", y, "dave", 0);
        annX.send("m-1", "for couple x only");
        assertNull(carolY.nextPush(1));
        assertEquals(0, carolY.history(0, 50).getMessagesSize());
        carolY.send("m-1", "for couple y only");
        assertEquals(List.of("for couple x only"),
                annX.history(0, 50).getMessages().stream().map(Message::getBody).toList());
    }

    @Test
    void callsBeforeAuthenticateAreRefusedAndTheConnectionCloses() throws Exception {
        TestChatClient stranger = cluster.connect(server);
        ChatError error = assertThrows(ChatError.class, () -> TestChatClient.success(
                stranger.call("sendMessage", new ChatService.sendMessage_args("m-1", "sneaky"))));
        assertEquals(ErrorCode.NOT_AUTHENTICATED, error.getCode());
        assertTrue(stranger.awaitClosed(10));
    }

    @Test
    void aForgedTokenIsRefused() throws Exception {
        TestChatClient forger = cluster.connect(server);
        String token = cluster.token("ann", newCouple(), "bob");
        String forged = token.substring(0, token.length() - 4) + "AAAA";
        ChatError error = assertThrows(ChatError.class, () -> forger.authenticate(forged, 0));
        assertEquals(ErrorCode.AUTH_FAILED, error.getCode());
        assertTrue(forger.awaitClosed(10));
    }

    @Test
    void badRequestsGetAnErrorAndTheSessionGoesOn() throws Exception {
        String couple = newCouple();
        TestChatClient ann = login("ann", couple, "bob", 0);
        ChatError tooLong = assertThrows(ChatError.class, () -> ann.send("m-1", "x".repeat(5000)));
        assertEquals(ErrorCode.BAD_REQUEST, tooLong.getCode());
        ChatError badLimit = assertThrows(ChatError.class, () -> ann.history(0, 100_000));
        assertEquals(ErrorCode.BAD_REQUEST, badLimit.getCode());
        assertEquals(1, ann.send("m-2", "fine").getSeq());
    }

    @Test
    void anUnknownMethodGetsAThriftExceptionAndTheSessionGoesOn() throws Exception {
        String couple = newCouple();
        TestChatClient ann = login("ann", couple, "bob", 0);
        ThriftMessage reply = ann.call("deleteEverything", new ChatService.ping_args(1));
        assertEquals(org.apache.thrift.protocol.TMessageType.EXCEPTION, reply.type());
        assertEquals(org.apache.thrift.TApplicationException.UNKNOWN_METHOD,
                ((org.apache.thrift.TApplicationException) reply.body()).getType());
        assertEquals(1, ann.send("m-1", "still here").getSeq());
    }

    @Test
    void garbageEndsOnlyThatConnection() throws Exception {
        String couple = newCouple();
        TestChatClient ann = login("ann", couple, "bob", 0);
        TestChatClient bob = login("bob", couple, "ann", 0);
        bob.channel().writeAndFlush(io.netty.buffer.Unpooled.copiedBuffer("GET / HTTP/1.1\r\n\r\n",
                StandardCharsets.US_ASCII)).sync();
        assertTrue(bob.awaitClosed(10), "a frame claiming 1.1 GB closes the connection");
        assertEquals(1, ann.send("m-1", "unaffected").getSeq());
    }

    @Test
    void aMessageNestedTooDeepIsAnsweredProtocolErrorAfterTheCallsBeforeItThenTheSessionEnds() throws Exception {
        String couple = newCouple();
        TestChatClient ann = login("ann", couple, "bob", 0);
        TestChatClient bob = login("bob", couple, "ann", 0);
        CompletableFuture<ThriftMessage> before = ann.callAsync("sendMessage", 50,
                new ChatService.sendMessage_args("m-1", "before the bad one"));
        CompletableFuture<ThriftMessage> bad = ann.expectReply(51);
        ann.channel().writeAndFlush(Unpooled.wrappedBuffer(HostileInput.nestedCall("ping", 51, 20_000)));
        assertEquals(1, TestChatClient.<SendResult>success(before.get(10, TimeUnit.SECONDS)).getSeq());
        ThriftMessage exception = bad.get(10, TimeUnit.SECONDS);
        assertEquals(TMessageType.EXCEPTION, exception.type());
        assertEquals(TApplicationException.PROTOCOL_ERROR, ((TApplicationException) exception.body()).getType());
        assertTrue(ann.awaitClosed(10));
        assertEquals(2, bob.send("m-2", "unaffected").getSeq());
    }

    @Test
    void aPushThatWouldSkipASeqFillsTheGapFromHBaseFirst() throws Exception {
        String couple = newCouple();
        TestChatClient ann = login("ann", couple, "bob", 0);
        TestChatClient bob = login("bob", couple, "ann", 0);
        ann.send("m-1", "one");
        OwnerClaim serversClaim = new OwnerClaim(server.ring().incarnation(), server.ring().epoch(), 0, server.id());
        try (HBaseChatStore writer = HBaseChatStore.open(SharedHBase.get().clientConfiguration(), ChatCluster.STORE,
                new SimpleMeterRegistry()).get(1, TimeUnit.MINUTES)) {
            writer.append(couple, serversClaim, List.of(new AppendRequest("ann", "m-2", "two, never pushed")))
                    .get(1, TimeUnit.MINUTES);
        }
        ann.send("m-3", "three");
        List<String> atBob = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            atBob.add(received(bob.nextPush(10)).getBody());
        }
        assertEquals(List.of("one", "two, never pushed", "three"), atBob);
        assertNull(bob.nextPush(1), "each seq once");
    }

    @Test
    void aHistoryPageIsCutToFitOneFrameAndTheRestComesWithTheNextPage() throws Exception {
        String couple = newCouple();
        TestChatClient ann = login("ann", couple, "bob", 0);
        String large = "é".repeat(4096);
        for (int i = 1; i <= 16; i++) {
            ann.send("m-" + i, large);
        }
        History newest = ann.history(0, 16);
        assertTrue(newest.getMessagesSize() > 0 && newest.getMessagesSize() < 16, "cut by bytes");
        assertTrue(newest.isMore());
        assertEquals(16, newest.getMessages().get(newest.getMessagesSize() - 1).getSeq());
        long oldest = newest.getMessages().get(0).getSeq();
        History older = ann.history(oldest, 16);
        assertEquals(oldest - 1, older.getMessages().get(older.getMessagesSize() - 1).getSeq(), "no seq left out");
    }

    @Test
    void aSessionThatCannotClaimItsCoupleIsRefusedAndLeavesNothingBehind() throws Exception {
        String couple = newCouple();
        try (HBaseChatStore other = HBaseChatStore.open(SharedHBase.get().clientConfiguration(), ChatCluster.STORE,
                new SimpleMeterRegistry()).get(1, TimeUnit.MINUTES)) {
            other.claim(couple, new OwnerClaim(server.ring().incarnation(), Long.MAX_VALUE, 0, "chat-elsewhere"), false)
                    .get(1, TimeUnit.MINUTES);
        }
        TestChatClient ann = cluster.connect(server);
        ChatError refused = assertThrows(ChatError.class,
                () -> ann.authenticate(cluster.token("ann", couple, "bob"), 0));
        assertEquals(ErrorCode.NOT_OWNER, refused.getCode());
        assertTrue(ChatCluster.waitFor(() -> server.coupleCount() == 0), "no couple left in the hub");
    }

    @Test
    void drainingTellsEveryClientBeforeTheSessionEnds() throws Exception {
        String couple = newCouple();
        TestChatClient ann = login("ann", couple, "bob", 0);
        assertTrue(server.drain(java.time.Duration.ofSeconds(10)));
        ThriftMessage ending = ann.nextPush(10);
        assertEquals("sessionEnding", ending.name());
        assertEquals(SessionEndReason.DRAINING, ((ClientEvents.sessionEnding_args) ending.body()).getReason());
        assertTrue(ann.awaitClosed(10));
    }

    @Test
    void aMessageStoredAfterItsReplyTimedOutIsStillPushedAndItsRetryIsAnsweredWithTheFirstSeq() throws Exception {
        ChatServer hasty = cluster.startServer("chat-hasty", b -> b.ringPath("/rings/hasty-" + System.nanoTime())
                .limits(ChatLimits.defaults().withAppendTimeout(java.time.Duration.ofNanos(1))));
        String couple = newCouple();
        TestChatClient ann = cluster.connect(hasty);
        ann.authenticate(cluster.token("ann", couple, "bob"), 0);
        TestChatClient bob = cluster.connect(hasty);
        bob.authenticate(cluster.token("bob", couple, "ann"), 0);
        ChatError late = assertThrows(ChatError.class, () -> ann.send("m-1", "stored, answered late"));
        assertEquals(ErrorCode.UNAVAILABLE, late.getCode());
        assertEquals("stored, answered late", received(bob.nextPush(10)).getBody(), "pushed although unacknowledged");
        assertEquals(1, received(ann.nextPush(10)).getSeq());
        assertNull(bob.nextPush(1), "once");
    }

    @Test
    void aCoupleIsForgottenWhenItsLastSessionLeavesWithSendsInFlight() throws Exception {
        String couple = newCouple();
        TestChatClient ann = login("ann", couple, "bob", 0);
        for (int i = 0; i < 20; i++) {
            ann.callAsync("sendMessage", 100 + i, new ChatService.sendMessage_args("m-" + i, "and goodbye"));
        }
        ann.close();
        assertTrue(ChatCluster.waitFor(() -> server.coupleCount() == 0), "the couple left the hub");
    }

    /** Every cell of the couple's row, as family:qualifier, seq qualifiers shown as seqN. */
    private static Set<String> cellsOf(String couple) throws Exception {
        Set<String> cells = new TreeSet<>();
        try (Connection connection = ConnectionFactory.createConnection(SharedHBase.get().clientConfiguration());
             Table table = connection.getTable(TableName.valueOf(ChatCluster.STORE.namespace(),
                     ChatCluster.STORE.table()));
             ResultScanner scanner = table.getScanner(new Scan())) {
            for (Result result : scanner) {
                String key = Bytes.toString(result.getRow(), 4, result.getRow().length - 4);
                if (!key.equals(couple)) {
                    continue;
                }
                result.listCells().forEach(cell -> {
                    String family = Bytes.toString(cell.getFamilyArray(), cell.getFamilyOffset(),
                            cell.getFamilyLength());
                    byte[] qualifier = java.util.Arrays.copyOfRange(cell.getQualifierArray(),
                            cell.getQualifierOffset(), cell.getQualifierOffset() + cell.getQualifierLength());
                    cells.add(family + ":" + (family.equals("m") ? "seq" + Bytes.toLong(qualifier)
                            : Bytes.toString(qualifier)));
                });
            }
        }
        return cells;
    }
}

package dev.duet.chat.store;

/** A message to append: who sent it, the sender's idempotency key, and the text. */
public record AppendRequest(String senderId, String clientMsgId, String body) {
}

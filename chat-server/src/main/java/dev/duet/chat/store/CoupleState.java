package dev.duet.chat.store;

/** What a session needs to start: the couple's last seq and the read marks of both people. */
public record CoupleState(long lastSeq, long userReadSeq, long partnerReadSeq) {
}

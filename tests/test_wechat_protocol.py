"""Known answers from Tencent's published WXBizMsgCrypt sample, and our WeChat formatting."""
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import check_signature

from bot.gateway.wechat import as_text, cdata_safe, split_text

SAMPLE = dict(token="spamtest", key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", appid="wx2c2769f8efd9abc2",
              timestamp="1409735669", nonce="1320562132")
ENCRYPT = ("hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9Fr"
           "XpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+W"
           "GzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0E"
           "IBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=")


def test_plain_signature_known_answer():
    check_signature(SAMPLE["token"], "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a", SAMPLE["timestamp"], SAMPLE["nonce"])


def test_safe_mode_signature_and_decryption_known_answer():
    crypto = WeChatCrypto(SAMPLE["token"], SAMPLE["key"], SAMPLE["appid"])
    xml = f"<xml><ToUserName><![CDATA[toUser]]></ToUserName><Encrypt><![CDATA[{ENCRYPT}]]></Encrypt></xml>"
    plain = crypto.decrypt_message(xml, "5d197aaffba7e9b25a30732f161a50dee96bd5fa", SAMPLE["timestamp"], SAMPLE["nonce"])
    assert "<Content><![CDATA[abcdteT]]></Content>" in plain
    assert "<MsgId>6054768590064713728</MsgId>" in plain


def test_wrong_msg_signature_is_refused():
    import pytest
    from wechatpy.exceptions import InvalidSignatureException
    crypto = WeChatCrypto(SAMPLE["token"], SAMPLE["key"], SAMPLE["appid"])
    xml = f"<xml><ToUserName><![CDATA[toUser]]></ToUserName><Encrypt><![CDATA[{ENCRYPT}]]></Encrypt></xml>"
    with pytest.raises(InvalidSignatureException):
        crypto.decrypt_message(xml, "0" * 40, SAMPLE["timestamp"], SAMPLE["nonce"])


def test_buttons_become_a_numbered_list():
    text = as_text([{"text": "请问您要办理哪一类变更？", "buttons": [{"title": "转注册", "payload": "/x"}, {"title": "企业更名", "payload": "/y"}]}])
    assert text.endswith("请回复数字选择：\n1. 转注册\n2. 企业更名")


def test_long_text_is_split_on_sentences_within_2000_bytes():
    sentence = "携带变更注册申请表原件、营业执照复印件、工商变更证明复印件各一式一份至省厅2号窗口办理。"
    parts = split_text(sentence * 40)
    assert len(parts) > 1
    assert all(len(p.encode("utf-8")) <= 2000 for p in parts)
    assert all(p.endswith("。") for p in parts)
    assert "".join(parts) == sentence * 40
    one_huge_sentence = "字" * 3000
    assert all(len(p.encode("utf-8")) <= 2000 for p in split_text(one_huge_sentence))


def test_cdata_terminator_is_made_safe():
    assert cdata_safe("a]]>b") == "a]]]]><![CDATA[>b"

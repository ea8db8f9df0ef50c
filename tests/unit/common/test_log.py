"""Secret masking in log lines."""
import logging

import pytest

from quantum_zvm.common import config, log


@pytest.mark.parametrize("text, secret", [
    ("GET /xcatws/tables/switch?userName=root&password=s3cr3t&format=json", "s3cr3t"),
    ('{"userName": "root", "password": "s3cr3t"}', "s3cr3t"),
    ("{'password': 's3cr3t', 'x': 1}", "s3cr3t"),
    ("connecting to rabbit://guest:s3cr3t@10.0.0.1:5672//", "s3cr3t"),
    ("mysql://root:s3cr3t@localhost/ovs_quantum?charset=utf8", "s3cr3t"),
    ("zvm_xcat_password = s3cr3t", "s3cr3t"),
    ("header X-Auth-Token: s3cr3t", "s3cr3t"),
    ('body ["userPW=s3cr3t"]', "s3cr3t"),
])
def test_mask_secrets(text, secret):
    masked = log.mask_secrets(text)
    assert secret not in masked
    assert log.MASK in masked


def test_mask_literal_secrets():
    assert log.mask_secrets("the value is hunter22 here", ["hunter22"]) == "the value is *** here"


def test_plain_text_is_unchanged():
    text = "granted LINUX01 on VSW1 vlan 1001"
    assert log.mask_secrets(text) == text


def test_every_log_line_is_masked(tmp_path):
    ini = tmp_path / "z.ini"
    ini.write_text("[AGENT]\nzvm_xcat_password = Pa55word!\n"
                   "[DATABASE]\nsql_connection = postgresql://q:dbpw77@h/q\n")
    log_file = tmp_path / "out.log"
    conf, _ = config.load(["--config-file", str(ini), "--log-file", str(log_file)], "t",
                          role="server")
    logger = log.setup(conf, "t")
    logger.info("xcat said %s", "bad password Pa55word!")
    logger.warning("db %s", config.sql_connection(conf))
    try:
        raise RuntimeError("connect failed for password=Pa55word!")
    except RuntimeError:
        logger.exception("boom")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text()
    assert "Pa55word!" not in text and "dbpw77" not in text
    assert text.count(log.MASK) >= 3
    assert "boom" in text and "RuntimeError" in text


def test_unwritable_log_file_is_a_clear_error(tmp_path, capsys):
    conf, _ = config.load(["--log-file", str(tmp_path / "no" / "such" / "dir.log")], "t",
                          role="server")
    with pytest.raises(SystemExit) as info:
        log.setup(conf, "quantum-zvm-test")
    assert info.value.code == 2
    assert "--log-file" in capsys.readouterr().err

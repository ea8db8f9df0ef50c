"""The xCAT REST client the ``[AGENT]`` options describe (agent and NIC tool)."""
from __future__ import annotations

from oslo_config import cfg

from xcat.client import XcatClient


def xcat_client(conf: cfg.ConfigOpts) -> XcatClient:
    """A client for ``zvm_xcat_server`` with the configured credentials, TLS and timeout.

    ``zvm_xcat_ca_file`` wins over ``zvm_xcat_verify``; verification is only
    off when ``zvm_xcat_verify = false`` and no CA file is given.
    """
    agent = conf.AGENT
    verify = agent.zvm_xcat_ca_file or agent.zvm_xcat_verify
    return XcatClient(agent.zvm_xcat_server, agent.zvm_xcat_username, agent.zvm_xcat_password,
                      verify=verify, timeout=(10.0, float(agent.zvm_xcat_timeout)),
                      # a kept-alive connection per lane of dsh requests, and one more
                      pool_size=agent.smapi_workers + 1,
                      credentials_in_query=agent.zvm_xcat_credentials_in_query)

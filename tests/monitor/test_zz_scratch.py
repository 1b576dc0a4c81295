import json, shutil
from tests.monitor.audit_helpers import keyholding, run_trade, add_bidders, entries  # noqa

def test_scratch(db, client, runner, keyholding, make_user, make_org, clock):
    add_bidders(keyholding, make_user, make_org)
    trip = run_trade(db, client, runner, keyholding, clock)
    shutil.rmtree("/tmp/hA_export", ignore_errors=True)
    r = runner.invoke(args=["audit", "export", "/tmp/hA_export"])
    print(r.output)
    k = client.get("/api/v1/audit/key").get_json()
    open("/tmp/hA_key.json","w").write(json.dumps(k))

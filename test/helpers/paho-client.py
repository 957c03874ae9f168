"""An outside MQTT client for the tests: Eclipse Paho (Debian's python3-paho-mqtt), not our code.

Usage: /usr/bin/python3 paho-client.py '<json spec>'

spec: host, port, clientId, username, password, protocol (4 = MQTT 3.1.1, 5 = MQTT 5),
subscribe (topics, QoS 1), publish ([{topic, payload, qos}]), expect (messages to wait for),
foreign (a topic the client may not publish to: published last, QoS 1), timeoutS.

Prints READY once connected and subscribed (the test then sends what it should receive), and at
the end one JSON line: connect (CONNACK code and reason), granted (SUBACK per topic), acked
(publishes the broker acknowledged), messages received, and whether the broker closed the
connection.
"""

import json
import sys
import threading
import time

import paho.mqtt.client as mqtt

spec = json.loads(sys.argv[1])
timeout = float(spec.get("timeoutS", 10))
v5 = spec.get("protocol", 4) == 5
result = {"connect": None, "granted": [], "acked": 0, "messages": [], "closedByBroker": False}
connected = threading.Event()
subscribed = threading.Event()
closed = threading.Event()
lock = threading.Lock()

if v5:
    client = mqtt.Client(client_id=spec["clientId"], protocol=mqtt.MQTTv5)
else:
    client = mqtt.Client(client_id=spec["clientId"], clean_session=True, protocol=mqtt.MQTTv311)
client.username_pw_set(spec["username"], spec["password"])


def on_connect(_c, _u, _flags, rc, _props=None):
    code = rc.value if hasattr(rc, "value") else rc
    reason = str(rc) if hasattr(rc, "value") else mqtt.connack_string(rc)
    result["connect"] = {"code": code, "reason": reason}
    connected.set()


def on_subscribe(_c, _u, _mid, granted, _props=None):
    result["granted"] = [g.value if hasattr(g, "value") else g for g in granted]
    subscribed.set()


def on_message(_c, _u, msg):
    with lock:
        result["messages"].append({"topic": msg.topic, "payload": msg.payload.decode("utf-8")})


def on_disconnect(_c, _u, rc, _props=None):
    code = rc.value if hasattr(rc, "value") else rc
    if code != 0:
        result["closedByBroker"] = True
    closed.set()


client.on_connect = on_connect
client.on_subscribe = on_subscribe
client.on_message = on_message
client.on_disconnect = on_disconnect


def finish():
    print(json.dumps(result), flush=True)
    sys.exit(0)


try:
    client.connect(spec["host"], spec["port"], keepalive=30)
except Exception as err:  # refused at the socket level
    result["connect"] = {"code": -1, "reason": str(err)}
    finish()
client.loop_start()
if not connected.wait(timeout) or result["connect"]["code"] != 0:
    if result["connect"] is None:
        result["connect"] = {"code": -1, "reason": "no CONNACK (closed or timed out)"}
    client.loop_stop()
    finish()

topics = spec.get("subscribe", [])
if topics:
    client.subscribe([(t, 1) for t in topics])
    subscribed.wait(timeout)
print("READY", flush=True)

for p in spec.get("publish", []):
    info = client.publish(p["topic"], p["payload"], qos=p.get("qos", 1))
    info.wait_for_publish(timeout)
    if info.is_published():
        result["acked"] += 1

deadline = time.time() + timeout
while time.time() < deadline:
    with lock:
        if len(result["messages"]) >= spec.get("expect", 0):
            break
    time.sleep(0.02)

foreign = spec.get("foreign")
if foreign:
    client.publish(foreign, "not mine", qos=1)
    closed.wait(timeout)
else:
    client.disconnect()
    closed.wait(timeout)
client.loop_stop()
finish()

#!/usr/bin/env bash
# Print the benchmark configuration: 200 vrrp_instance and 200 virtual_server
# with 50 real_server each, checked by TCP_CHECK (about 63k lines).
set -eu
cat <<'HDR'
global_defs {
   router_id BENCH
   vrrp_skip_check_adv_addr
}
HDR
for i in $(seq 1 200); do
	cat <<EOT
vrrp_instance VI_$i {
    state BACKUP
    interface eth0
    virtual_router_id $i
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        10.$((i / 250)).$((i % 250)).1/24 dev eth0
    }
}
EOT
done
for i in $(seq 1 200); do
	printf 'virtual_server 10.100.%d.%d 80 {\n    delay_loop 6\n    lb_algo wrr\n    lb_kind DR\n    protocol TCP\n' $((i / 250)) $((i % 250))
	for j in $(seq 1 50); do
		printf '    real_server 10.200.%d.%d 80 {\n        weight 1\n        TCP_CHECK {\n            connect_timeout 3\n        }\n    }\n' "$i" "$j"
	done
	printf '}\n'
done

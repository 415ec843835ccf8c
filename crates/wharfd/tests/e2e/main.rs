//! wharfd's end-to-end and hostile suites as one test binary: compiled
//! and linked once, its tests sharing the run's two threads instead of
//! waiting for one binary after another. Each module is one suite; the
//! table in `tests/README.md` says what each covers.

mod support;

mod e2e_access;
mod e2e_azure;
mod e2e_azure_oauth;
mod e2e_azure_sas;
mod e2e_basic_ftp;
mod e2e_blob_checksums;
mod e2e_classic_ftp;
mod e2e_cli;
mod e2e_curl;
mod e2e_filezilla;
mod e2e_fleet;
mod e2e_fleet_azurite;
mod e2e_fleet_clients;
mod e2e_fleet_shared;
mod e2e_ftplib;
mod e2e_ftps_curl;
mod e2e_ftps_ftplib;
mod e2e_ftps_lftp;
mod e2e_gcs;
mod e2e_homes;
mod e2e_homes_entra;
mod e2e_homes_gcs;
mod e2e_homes_s3;
mod e2e_homes_s3_role;
mod e2e_lftp;
mod e2e_nat;
mod e2e_netns;
mod e2e_operations;
mod e2e_permissions;
mod e2e_proxy;
mod e2e_quota;
mod e2e_rates;
mod e2e_rclone;
mod e2e_readiness;
mod e2e_reload;
mod e2e_s3_sts;
mod e2e_splice_uploads;
mod e2e_systemd;
mod e2e_wget;
mod e2e_wildcards;
mod faults_disk_full;
mod faults_kill;
mod faults_kill_azure;
mod faults_kill_client;
mod faults_kill_local;
mod faults_kill_s3;
mod faults_kill_usage;
mod faults_load;
mod faults_load_azurite;
mod faults_load_transfers;
mod faults_network;
mod faults_network_dead_peer;
mod faults_store;
mod faults_store_frozen;
mod faults_store_killed;
mod hostile_blob;
mod hostile_login;
mod hostile_passthrough;
mod hostile_privileges;
mod hostile_session;
mod hostile_shared_blob;

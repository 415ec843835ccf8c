# Sourced by scripts/test and fuzz/run-long.sh: the libFuzzer options each
# target runs with, so a short CI run and a long run explore the same space.
#
#   fuzz_args TARGET   prints the options (dictionary, input length bound)

fuzz_args() {
    case "$1" in
        config_file | users_file) echo "-dict=fuzz/toml.dict -max_len=2048" ;;
        blob_listing) echo "-dict=fuzz/xml.dict -max_len=4096" ;;
        session) echo "-dict=fuzz/ftp.dict -max_len=1024" ;;
        *) echo "-dict=fuzz/ftp.dict -max_len=512" ;;
    esac
}

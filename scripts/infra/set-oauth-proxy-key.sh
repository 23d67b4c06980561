#!/usr/bin/env bash
# Gives the deployed MCP server the OAuth proxy's keys (MCP_OAUTH_PROXY=on): 32 random bytes, base64url, written
# straight into Key Vault as the secret MCP_OAUTH_PROXY_KEY_SECRET_NAME names. The keys seal every code and token the
# proxy hands out. They are held only in shell variables and piped to the Azure CLI on standard input: never
# printed, logged, passed as a command-line argument or written to a file. Bicep cannot make a random value that
# survives redeployments, hence this script (run by azd as the postprovision hook, or by hand).
#
# Usage: scripts/infra/set-oauth-proxy-key.sh [--if-proxy] [--rotate]
#   --if-proxy  do nothing unless MCP_OAUTH_PROXY=on (how the azd hook calls it)
#   --rotate    put a new key first and keep the current first key second (so what it sealed keeps working
#               until it expires; refresh tokens live 90 days); an older second key is dropped
#
# Reads (azd passes its environment, including the Bicep outputs, to hooks; by hand:
# `eval "$(azd env get-values)"` first):
#   KEY_VAULT_NAME                    vault name
#   MCP_OAUTH_PROXY_KEY_SECRET_NAME   secret name (default mcp-oauth-proxy-key)
#   MCP_OAUTH_PROXY                   on/off (for --if-proxy)
#
# Without --rotate an existing secret is kept. Running instances re-read the secret after
# KEY_VAULT_SECRET_TTL_SECONDS (default 1 hour).
#
# Needs: bash, openssl, the Azure CLI signed in as a principal with Key Vault Secrets Officer on the vault (infra
# grants it to the deployer when the proxy is on).
set -euo pipefail
set +x # never trace: the keys pass through variables
umask 077

usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; }

if_proxy=false
rotate=false
for arg in "$@"; do
  case "$arg" in
    --if-proxy) if_proxy=true ;;
    --rotate) rotate=true ;;
    -h | --help) usage; exit 0 ;;
    *) echo "set-oauth-proxy-key: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

if [[ "$if_proxy" == true && "${MCP_OAUTH_PROXY:-}" != on ]]; then
  echo "set-oauth-proxy-key: MCP_OAUTH_PROXY=${MCP_OAUTH_PROXY:-unset}: no key needed."
  exit 0
fi

: "${KEY_VAULT_NAME:?set KEY_VAULT_NAME (azd env get-value KEY_VAULT_NAME)}"
secret_name="${MCP_OAUTH_PROXY_KEY_SECRET_NAME:-mcp-oauth-proxy-key}"
command -v az >/dev/null || { echo "set-oauth-proxy-key: the Azure CLI (az) is required." >&2; exit 1; }
command -v openssl >/dev/null || { echo "set-oauth-proxy-key: openssl is required." >&2; exit 1; }

# Runs an az command until it succeeds: the role assignments made by the deployment can take a few minutes to
# reach Key Vault, and the first call to the vault is often the one that meets that delay.
with_retries() {
  local attempt
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    if "$@"; then return 0; fi
    echo "set-oauth-proxy-key: Key Vault refused or failed (attempt ${attempt}/10); retrying in 30 s." >&2
    sleep "${SET_KEY_RETRY_SECONDS:-30}"
  done
  return 1
}

# Listing returns secret metadata only, never values.
list_secret() {
  az keyvault secret list --vault-name "$KEY_VAULT_NAME" --only-show-errors \
    --query "[?ends_with(id, '/secrets/${secret_name}')] | length(@)" -o tsv
}
exists="$(with_retries list_secret)" || { echo "set-oauth-proxy-key: cannot list the secrets of ${KEY_VAULT_NAME}." >&2; exit 1; }
if [[ "$exists" == 1 && "$rotate" == false ]]; then
  echo "set-oauth-proxy-key: ${KEY_VAULT_NAME}/${secret_name} exists; kept. Use --rotate to add a new key."
  exit 0
fi

new_key="$(openssl rand 32 | openssl base64 -A | tr '+/' '-_' | tr -d '=')"
if [[ ${#new_key} -ne 43 ]]; then
  echo "set-oauth-proxy-key: could not generate a key." >&2
  exit 1
fi
value="$new_key"
if [[ "$exists" == 1 ]]; then
  show_secret() {
    az keyvault secret show --vault-name "$KEY_VAULT_NAME" --name "$secret_name" --only-show-errors --query value -o tsv
  }
  current="$(with_retries show_secret)" || { echo "set-oauth-proxy-key: cannot read ${KEY_VAULT_NAME}/${secret_name}." >&2; exit 1; }
  previous="${current%%,*}"
  [[ -n "$previous" ]] && value="${new_key},${previous}"
  unset current previous
fi
unset new_key

set_secret() {
  printf '%s' "$value" | az keyvault secret set --vault-name "$KEY_VAULT_NAME" --name "$secret_name" \
    --file /dev/stdin --encoding utf-8 --content-type text/plain --tags "use=mcp-oauth-proxy" \
    --only-show-errors -o none
}
stored=false
with_retries set_secret && stored=true
unset value

if [[ "$stored" != true ]]; then
  echo "set-oauth-proxy-key: could not write ${KEY_VAULT_NAME}/${secret_name}." >&2
  exit 1
fi
if [[ "$exists" == 1 ]]; then
  echo "set-oauth-proxy-key: rotated ${KEY_VAULT_NAME}/${secret_name}: a new key first, the previous one kept second."
else
  echo "set-oauth-proxy-key: stored a new key in ${KEY_VAULT_NAME}/${secret_name}."
fi

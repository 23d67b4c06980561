#!/usr/bin/env bash
# Gives the deployed MCP server its OBO client secret (OBO_CREDENTIAL=keyvault): creates an app password on
# the app registration and writes it straight into Key Vault. The secret is held only in a shell variable
# and piped to the Azure CLI on standard input: it is never printed, logged, passed as a command-line
# argument or written to a file. Bicep cannot create app passwords, hence this script (run by azd as the
# postprovision hook, or by hand).
#
# Usage: scripts/infra/set-obo-secret.sh [--if-keyvault] [--rotate]
#   --if-keyvault  do nothing unless OBO_CREDENTIAL=keyvault (how the azd hook calls it)
#   --rotate       create a new password even if the vault holds one that is still valid
#
# Reads (azd passes its environment, including the Bicep outputs, to hooks; by hand:
# `eval "$(azd env get-values)"` first):
#   ENTRA_CLIENT_ID        app registration (client) ID
#   KEY_VAULT_NAME         vault name
#   KEY_VAULT_SECRET_NAME  secret name (default obo-client-secret)
#   OBO_CREDENTIAL         credential mode (for --if-keyvault)
#   OBO_SECRET_DAYS        lifetime of a new password in days (default 180)
#
# Without --rotate an existing secret is kept when its password still exists on the app and has more than
# 30 days left. Rotating leaves the previous password valid until it expires (running instances cache the
# secret for KEY_VAULT_SECRET_TTL_SECONDS); delete it afterwards with
# `az ad app credential delete --id "$ENTRA_CLIENT_ID" --key-id <keyId>`.
#
# Needs: bash, the Azure CLI signed in as a principal that owns the app registration (infra makes the
# deployer an owner) and holds Key Vault Secrets Officer on the vault (infra grants it in keyvault mode).
set -euo pipefail
set +x # never trace: the secret passes through a variable
umask 077

usage() { sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; }

if_keyvault=false
rotate=false
for arg in "$@"; do
  case "$arg" in
    --if-keyvault) if_keyvault=true ;;
    --rotate) rotate=true ;;
    -h | --help) usage; exit 0 ;;
    *) echo "set-obo-secret: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

mode="${OBO_CREDENTIAL:-}"
if [[ "$if_keyvault" == true && "$mode" != keyvault ]]; then
  echo "set-obo-secret: OBO_CREDENTIAL=${mode:-unset}: no client secret needed."
  exit 0
fi

: "${ENTRA_CLIENT_ID:?set ENTRA_CLIENT_ID (azd env get-value ENTRA_CLIENT_ID)}"
: "${KEY_VAULT_NAME:?set KEY_VAULT_NAME (azd env get-value KEY_VAULT_NAME)}"
secret_name="${KEY_VAULT_SECRET_NAME:-obo-client-secret}"
lifetime_days="${OBO_SECRET_DAYS:-180}"
display_name="azure-obo-mcp (Key Vault ${KEY_VAULT_NAME}/${secret_name})"
command -v az >/dev/null || { echo "set-obo-secret: the Azure CLI (az) is required." >&2; exit 1; }
[[ "$lifetime_days" =~ ^[0-9]+$ && "$lifetime_days" -ge 31 && "$lifetime_days" -le 730 ]] ||
  { echo "set-obo-secret: OBO_SECRET_DAYS must be a whole number from 31 to 730." >&2; exit 2; }

# UTC timestamp N days from now, with GNU or BSD date. ISO 8601 UTC strings compare as text.
utc_in_days() { date -u -d "+$1 days" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -v+"$1"d +%Y-%m-%dT%H:%M:%SZ; }

if [[ "$rotate" == false ]]; then
  # Listing returns secret metadata only, never values.
  current_key_id="$(az keyvault secret list --vault-name "$KEY_VAULT_NAME" --only-show-errors \
    --query "[?ends_with(id, '/secrets/${secret_name}')] | [0].tags.keyId" -o tsv)"
  if [[ -n "$current_key_id" ]]; then
    current_end="$(az ad app credential list --id "$ENTRA_CLIENT_ID" --only-show-errors \
      --query "[?keyId=='${current_key_id}'] | [0].endDateTime" -o tsv)"
    if [[ -n "$current_end" && "${current_end:0:19}" > "$(utc_in_days 30 | cut -c1-19)" ]]; then
      echo "set-obo-secret: ${KEY_VAULT_NAME}/${secret_name} holds a valid password (key ${current_key_id}, ends ${current_end}); kept. Use --rotate to replace it."
      exit 0
    fi
  fi
fi

end_date="$(utc_in_days "$lifetime_days")"
secret="$(az ad app credential reset --id "$ENTRA_CLIENT_ID" --append --display-name "$display_name" \
  --end-date "$end_date" --only-show-errors --query password -o tsv)"
if [[ -z "$secret" ]]; then
  echo "set-obo-secret: the Azure CLI returned no password." >&2
  exit 1
fi
new_key_id="$(az ad app credential list --id "$ENTRA_CLIENT_ID" --only-show-errors \
  --query "sort_by([?displayName=='${display_name}'], &startDateTime) | [-1].keyId" -o tsv)"

# The role assignment made by the deployment can take a few minutes to reach Key Vault: retry on failure.
stored=false
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  if printf '%s' "$secret" | az keyvault secret set --vault-name "$KEY_VAULT_NAME" --name "$secret_name" \
    --file /dev/stdin --encoding utf-8 --content-type text/plain --expires "$end_date" \
    --tags "keyId=${new_key_id}" "app=${ENTRA_CLIENT_ID}" --only-show-errors -o none; then
    stored=true
    break
  fi
  echo "set-obo-secret: writing to Key Vault failed (attempt ${attempt}/10); retrying in 30 s." >&2
  sleep 30
done
unset secret

if [[ "$stored" != true ]]; then
  # Do not leave an unused valid password behind.
  if [[ -n "$new_key_id" ]]; then
    az ad app credential delete --id "$ENTRA_CLIENT_ID" --key-id "$new_key_id" --only-show-errors || true
  fi
  echo "set-obo-secret: could not write ${KEY_VAULT_NAME}/${secret_name}; the new password was deleted." >&2
  exit 1
fi
echo "set-obo-secret: stored a new password (key ${new_key_id}, ends ${end_date}) in ${KEY_VAULT_NAME}/${secret_name}."

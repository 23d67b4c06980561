#!/usr/bin/env bash
# Removes a deployed azd environment completely: `azd down --purge` deletes the resource group and purges
# the soft-deleted Key Vault, and then the Entra app registrations (the API app with its service principal,
# federated credential and passwords, and the CLI app), which live in the tenant, not in the resource group,
# are deleted too.
#
# Usage: scripts/infra/teardown.sh [--yes] [--keep-app] [--purge-app]
#   --yes        do not ask for confirmation (passes --force to azd down)
#   --keep-app   leave the app registrations in place
#   --purge-app  also delete the app registrations permanently (otherwise Entra ID keeps it restorable in
#                "Deleted applications" for 30 days)
#
# Run from the repository root with the azd environment selected (azd env select <name>). Needs azd and the
# Azure CLI signed in to the tenant as an owner of the app registrations.
# With Key Vault purge protection on, azd skips purging the vault: it stays soft-deleted until its retention ends.
set -euo pipefail

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }

yes=false
keep_app=false
purge_app=false
for arg in "$@"; do
  case "$arg" in
    --yes | -y) yes=true ;;
    --keep-app) keep_app=true ;;
    --purge-app) purge_app=true ;;
    -h | --help) usage; exit 0 ;;
    *) echo "teardown: unknown argument: $arg" >&2; exit 2 ;;
  esac
done
command -v azd >/dev/null || { echo "teardown: azd is required." >&2; exit 1; }

# The API app and the CLI app: ids read before `azd down` forgets the environment's values.
declare -A object_ids=()
if [[ "$keep_app" == false ]]; then
  for name in ENTRA_CLIENT_ID ENTRA_CLI_CLIENT_ID; do
    id="$(azd env get-value "$name" 2>/dev/null || true)"
    [[ -n "$id" ]] || continue
    command -v az >/dev/null || { echo "teardown: the Azure CLI (az) is required to delete the app registrations." >&2; exit 1; }
    object_id="$(az ad app show --id "$id" --query id -o tsv --only-show-errors 2>/dev/null || true)"
    [[ -n "$object_id" ]] && object_ids["$id"]="$object_id"
  done
fi

down_args=(down --purge)
[[ "$yes" == true ]] && down_args+=(--force)
azd "${down_args[@]}"

if [[ "$keep_app" == true ]]; then
  echo "teardown: app registrations kept (--keep-app)."
elif [[ ${#object_ids[@]} -eq 0 ]]; then
  echo "teardown: no app registration found for this environment (ENTRA_CLIENT_ID, ENTRA_CLI_CLIENT_ID)."
else
  for client_id in "${!object_ids[@]}"; do
    app_object_id="${object_ids[$client_id]}"
    az ad app delete --id "$app_object_id" --only-show-errors
    echo "teardown: deleted app registration ${client_id}."
    if [[ "$purge_app" == true ]]; then
      az rest --method DELETE --only-show-errors \
        --url "https://graph.microsoft.com/v1.0/directory/deletedItems/${app_object_id}"
      echo "teardown: purged app registration ${client_id} from deleted items."
    fi
  done
fi

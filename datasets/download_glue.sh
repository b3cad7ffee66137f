#!/bin/sh
# download_glue.sh - fetch the real GLUE and SuperGLUE data (on a machine with internet)
# into the layout `archbench eval glue|superglue --gold DIR` expects.
#
#   datasets/download_glue.sh [DEST]        (default DEST: ./glue_data)
#
# Result:
#   DEST/glue/{CoLA,SST-2,MRPC,STS-B,QQP,MNLI,QNLI,RTE,WNLI}/dev*.tsv (+ train/test)
#   DEST/glue/diagnostic/diagnostic-full.tsv   only if AX_FULL_URL names the labelled file
#   DEST/superglue/{BoolQ,CB,COPA,MultiRC,ReCoRD,RTE,WiC,WSC}/val.jsonl, AX-b/AX-b.jsonl, AX-g/AX-g.jsonl
#
# Nothing here is redistributed by archbench: each corpus keeps its own licence (see
# ../shared/research/glue.md section 7; MRPC is Microsoft's and QQP is non-commercial).
# MRPC is not hosted by GLUE: its dev split is rebuilt from the SentEval copy of the MSR
# training file and GLUE's list of dev ids, keeping the file's byte-order mark.
# Test splits have no labels; archbench refuses to score them.
set -eu

DEST=${1:-glue_data}
GLUE_URL=https://dl.fbaipublicfiles.com/glue/data
SUPERGLUE_URL=https://dl.fbaipublicfiles.com/glue/superglue/data/v2
MRPC_TRAIN_URL=https://dl.fbaipublicfiles.com/senteval/senteval_data/msr_paraphrase_train.txt
MRPC_TEST_URL=https://dl.fbaipublicfiles.com/senteval/senteval_data/msr_paraphrase_test.txt
MRPC_DEV_IDS_URL='https://firebasestorage.googleapis.com/v0/b/mtl-sentence-representations.appspot.com/o/data%2Fmrpc_dev_ids.tsv?alt=media&token=ec5c0836-31d5-48f4-b431-7480817f1adc'

if command -v curl >/dev/null 2>&1; then
    fetch() { curl -fL --retry 3 -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
    fetch() { wget -q -O "$2" "$1"; }
else
    echo "download_glue.sh: needs curl or wget" >&2
    exit 1
fi
command -v unzip >/dev/null 2>&1 || { echo "download_glue.sh: needs unzip" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$DEST/glue" "$DEST/superglue"

# GLUE zips hold their own folder (QQP-clean.zip -> QQP/, QNLIv2.zip -> QNLI/).
for zip in CoLA SST-2 QQP-clean STS-B MNLI QNLIv2 RTE WNLI AX; do
    echo "GLUE: $zip"
    fetch "$GLUE_URL/$zip.zip" "$tmp/$zip.zip"
    unzip -q -o "$tmp/$zip.zip" -d "$DEST/glue"
done

echo "GLUE: MRPC (rebuilt from SentEval's copy of the MSR corpus)"
mkdir -p "$DEST/glue/MRPC"
fetch "$MRPC_TRAIN_URL" "$tmp/msr_train.txt"
fetch "$MRPC_TEST_URL" "$tmp/msr_test.txt"
fetch "$MRPC_DEV_IDS_URL" "$tmp/dev_ids.tsv"
# dev.tsv: the header line (with its BOM) and the training rows whose id pair is listed.
awk -F '\t' 'NR == FNR { sub(/\r$/, ""); split($0, f, "\t"); dev[f[1] "\t" f[2]] = 1; next }
             FNR == 1 { print; next }
             ($2 "\t" $3) in dev { sub(/\r$/, ""); print }' \
    "$tmp/dev_ids.tsv" "$tmp/msr_train.txt" > "$DEST/glue/MRPC/dev.tsv"
awk -F '\t' 'NR == FNR { sub(/\r$/, ""); split($0, f, "\t"); dev[f[1] "\t" f[2]] = 1; next }
             FNR == 1 { print; next }
             !(($2 "\t" $3) in dev) { sub(/\r$/, ""); print }' \
    "$tmp/dev_ids.tsv" "$tmp/msr_train.txt" > "$DEST/glue/MRPC/train.tsv"
cp "$tmp/msr_test.txt" "$DEST/glue/MRPC/test_msr.txt"
n_dev=$(($(wc -l < "$DEST/glue/MRPC/dev.tsv") - 1))
[ "$n_dev" -eq 408 ] || echo "download_glue.sh: warning: MRPC dev has $n_dev rows, expected 408" >&2

# AX: the GLUE zip holds only the unlabelled AX.tsv; the labelled diagnostic-full.tsv
# must come from the GLUE site (pass its address in AX_FULL_URL).
if [ -n "${AX_FULL_URL:-}" ]; then
    echo "GLUE: diagnostic-full.tsv"
    mkdir -p "$DEST/glue/diagnostic"
    fetch "$AX_FULL_URL" "$DEST/glue/diagnostic/diagnostic-full.tsv"
else
    echo "GLUE: AX skipped (set AX_FULL_URL to the labelled diagnostic-full.tsv to score AX)"
fi

for zip in BoolQ CB COPA MultiRC ReCoRD RTE WiC WSC AX-b AX-g; do
    echo "SuperGLUE: $zip"
    fetch "$SUPERGLUE_URL/$zip.zip" "$tmp/sg_$zip.zip"
    unzip -q -o "$tmp/sg_$zip.zip" -d "$DEST/superglue"
done

echo "done: archbench eval glue --gold $DEST/glue --pred PRED_DIR"
echo "      archbench eval superglue --gold $DEST/superglue --pred PRED_DIR"

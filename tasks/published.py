"""Where the paper's test sets are published, for ``othink-bench data fetch``.

One row per task with a published test set. The prompt files are R1-V's reference evaluation
files at a fixed commit, so their size and sha256 are pinned here (computed from that commit).
The image archives are third-party releases whose bytes could not be checked when this table
was written: their members are checked instead (every image a prompt row names must be in the
archive, and the zip CRCs must hold), and ``FETCHED.json`` records what was fetched.
"""

from __future__ import annotations

from othink_bench.testsets import PublishedSet, RemoteFile

R1V_COMMIT = "bbbbe3dc1ea6a74ce31c118c1722b1ee73e372ba"
R1V_PROMPTS = f"https://raw.githubusercontent.com/Deep-Agent/R1-V/{R1V_COMMIT}/src/eval/prompts"
GEO170K_REVISION = "cc4bd7ce63154f0a1a18e0d34aa1a3915eefe1e6"

SUPERCLEVR_200 = PublishedSet(
    folder="superclevr",
    rows=200,
    prompts=RemoteFile(
        name="superclevr_test200_counting_problems.jsonl",
        url=f"{R1V_PROMPTS}/superclevr_test200_counting_problems.jsonl",
        size=27228,
        sha256="4ca86120527cd76d6957a33a6b745980bf8d51c3307a4fdbab5e264b89f19b04",
    ),
    # R1-V's README fetches www.cs.jhu.edu/~zhuowan/zhuowan/SuperCLEVR/to_be_released/images.zip;
    # the Super-CLEVR README now links this hub copy. All 30k renders: only the 200 named
    # images (superCLEVR_new_025000.png ... 025199.png) are read, by byte ranges.
    images=RemoteFile(
        name="images.zip",
        url="https://huggingface.co/datasets/RyanWW/Super-CLEVR/resolve/main/images.zip",
        approx="about 12 GB, all 30k Super-CLEVR renders",
    ),
    member_parts=1,
    about="Super-CLEVR (github.com/Lizw14/Super-CLEVR) images 25000-25199, R1-V's prompt file",
)

GEOQA_TEST = PublishedSet(
    folder="geoqa",
    rows=754,
    prompts=RemoteFile(
        name="geoqa_test_prompts.jsonl",
        url=f"{R1V_PROMPTS}/geoqa_test_prompts.jsonl",
        size=205697,
        sha256="6d1f8ceb1ebcaa322bd926769039bf4eff2679044a5e104de40cc4ce08a77571",
    ),
    # Unpacked, the archive holds images/{geo3k,geoqa_plus,test}/ (G-LLaVA's README); the rows
    # name ./Geo170K/images/test/N.png, so the last three parts identify a member.
    images=RemoteFile(
        name="images.zip",
        url=f"https://huggingface.co/datasets/Luckyjhg/Geo170K/resolve/{GEO170K_REVISION}/images.zip",
        approx="about 147 MB",
    ),
    member_parts=3,
    about="Geo170K (hub dataset Luckyjhg/Geo170K) test images, R1-V's prompt file",
)

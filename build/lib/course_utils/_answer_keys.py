"""Keyed hashes of the workbook answers, for the self-check (generated).

Written by tools/workbooks/build.py from the solutions in source/; do not
edit. Each value is HMAC-SHA256 of an answer's canonical form, keyed per
question (see course_utils.checks); no answer is stored in plain text.
"""

KEYS: dict[str, str] = {
    "better_scheme":
        "a21f2d8a3db9043d19f838eb1cd9103450e322b17677acc9ffe0d1cf22c5f5cb",
    "bf16_info":
        "d606d94087b16316c5713861c313d5a7294eb666a66290d9df08f09946424d97",
    "bf16_max_abs_error":
        "bad5469b81000ba67cdbbc2bec545817f5abeb694c9dff83926e2431c154ba74",
    "bf16_mean_abs_error":
        "0ccd4c29df32cda55b0d08e19860d2f247c46833753495256cb5d8d8ac176cbc",
    "float_fields[bfloat16]":
        "916a0a0dfa7c12507e3d154dc3840873b39bf400f8d6d586266a647f896f26e7",
    "float_fields[float16]":
        "4d32f6d14496a4a6473d5e98f9b76f7ebedb3df7acc2884deca3bdd444761b85",
    "float_fields[float32]":
        "a78ed7b3debad23181968c87ea81a89f2020092aea32170d52be318c9b569fd0",
    "footprint_bytes[bfloat16]":
        "bd491d3c0f058af2d8388df646454ac13bedf540340d24c4f32ef9663a36b2d4",
    "footprint_bytes[float16]":
        "fa53a37f9291ea8f617a98389b18b5a881c7cb622e5a329f219be19cbb572881",
    "footprint_bytes[float32]":
        "e27743695a915e08cef3b8c89d048d61c2f93af9fb1137466f48e58160d5ebfd",
    "footprint_bytes[int8]":
        "acd8c92a46419f52f1bbc1b8db0cc8631cec69a969be96baaea2a867e2d95e06",
    "hand_scale":
        "e4513bca8b7931f2c3ef96c7c0cf6237efe2d62afbae1315dc03829aaa962c81",
    "hand_zero_point":
        "4c5595753a2aebcfd80bcf407f39a91ea38fef29da5ff200c43ab1500e7a0e9a",
    "int8_range":
        "2433b1ebe27fab5d8c2bd25a8db3d193243e7fece6cd4669b76bab4c0f948e54",
    "int_range":
        "16f3cc592eb9a643763b871a7f00886983de34b90b0194ecd4d910226e5c6100",
    "mse_asymmetric":
        "72340400be37f068cfd25a30c368cdd6ccb0d1af59f7dd9097d82798d76ce066",
    "mse_per_channel":
        "c923f0abb746e8f812c23737964dae0ff22cb14a11a40a131734d65109e18ef2",
    "mse_symmetric":
        "290a064c531f0847e460d9a1730e2fef944f38188c770acbf9ac9583f06d2d98",
    "output_max_abs_diff":
        "4601cee876c56acaea170a534cb81c14d7ed3ad3ef6300b3c82b3c99de76f06b",
    "output_mean_abs_diff":
        "f96b0f5fff7f2615f5a8881f06b9242abb77916e7174cdea6e4242c55d6fdc41",
    "precision_field":
        "c9f43b37c20e626d478e14b6a500c18320733033190f8b457990f315baafb7e2",
    "range_field":
        "4a06aa0b8ad12ce1795774d258dbc5bf4963709a143f3de174d3dc33a9e5f551",
    "uint8_bits[100]":
        "c0385ce8e1d59e7b1cd50b91842b0011f1da0d01fbf8bf98d802212b36d661e8",
    "uint8_bits[2]":
        "7ba5a3891767af92ab21cf630b6b0eca1d57dd02a304dfbde487b90df7c824f4",
    "uint8_bits[33]":
        "6523e35d3bef310d0699f4a85fe35da9ad709997d7a381d799fc1f3af37af817",
    "uint8_bits[6]":
        "59bf948b55bcbb13ce976a66ee6d78bb2294f07424c2fbf1b3ae1d3855d6e440",
    "uint8_range":
        "4fd4c60a6584e5423c3dab49f50776ec8af6a147b5a15e364f3362c6058b9a9c",
    "uint_range":
        "0efa2703dff8cf0aa9dd67d0ba6024a7cfae27755f71cf6ee16b849b05387830",
    "value_signed":
        "12f5034cdf61e9c9ef8fe772b1b46e7812b7cc7580c7c3fe54b7be18486ffe96",
    "value_unsigned":
        "40c0ca7d21cfdf1b1b518a4788587d36f2a43600ffc71e3bd064dc67d142dc05",
}

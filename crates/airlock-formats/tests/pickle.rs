//! Tests of the pickle decoder and symbolic VM, against streams written by CPython's
//! `pickle`, joblib and scikit-learn (committed as byte literals) and hand-assembled
//! attack streams from the research notes' bypass checklist (B8–B25, B37).

use std::io::Read;
use std::time::Instant;

use airlock_formats::pickle::{
    Call, Callee, Encoding, StreamAnalysis, analyze, looks_like_pickle, looks_like_pickle_in_data,
};
use airlock_formats::{FormatError, LimitKind, Limits};

// --- Inputs written by Python ---------------------------------------------------------
// `pickle.dumps(obj, protocol=p)` of
// {'a': [1, 2.5, 'x', None, True, (1, 2)], 'b': 10**30, 'c': b'yz', 's': {1},
//  'fs': frozenset([2]), 'u': 'é', 'neg': -5, 'big': -2**70, 'ba': bytearray(b'q')}
const BENIGN_P0: &[u8] = b"(dp0\nVa\np1\n(lp2\nI1\naF2.5\naVx\np3\naNaI01\na(I1\nI2\ntp4\nasVb\np5\nL1000000000000000000000000000000L\nsVc\np6\nc_codecs\nencode\np7\n(Vyz\np8\nVlatin1\np9\ntp10\nRp11\nsVs\np12\nc__builtin__\nset\np13\n((lp14\nI1\natp15\nRp16\nsVfs\np17\nc__builtin__\nfrozenset\np18\n((lp19\nI2\natp20\nRp21\nsVu\np22\nV\xe9\np23\nsVneg\np24\nI-5\nsVbig\np25\nL-1180591620717411303424L\nsVba\np26\nc__builtin__\nbytearray\np27\n(g7\n(Vq\np28\ng9\ntp29\nRp30\ntp31\nRp32\ns.";
const BENIGN_P1: &[u8] = b"}q\x00(X\x01\x00\x00\x00aq\x01]q\x02(K\x01G@\x04\x00\x00\x00\x00\x00\x00X\x01\x00\x00\x00xq\x03NI01\n(K\x01K\x02tq\x04eX\x01\x00\x00\x00bq\x05L1000000000000000000000000000000L\nX\x01\x00\x00\x00cq\x06c_codecs\nencode\nq\x07(X\x02\x00\x00\x00yzq\x08X\x06\x00\x00\x00latin1q\x09tq\nRq\x0bX\x01\x00\x00\x00sq\x0cc__builtin__\nset\nq\x0d(]q\x0eK\x01atq\x0fRq\x10X\x02\x00\x00\x00fsq\x11c__builtin__\nfrozenset\nq\x12(]q\x13K\x02atq\x14Rq\x15X\x01\x00\x00\x00uq\x16X\x02\x00\x00\x00\xc3\xa9q\x17X\x03\x00\x00\x00negq\x18J\xfb\xff\xff\xffX\x03\x00\x00\x00bigq\x19L-1180591620717411303424L\nX\x02\x00\x00\x00baq\x1ac__builtin__\nbytearray\nq\x1b(h\x07(X\x01\x00\x00\x00qq\x1ch\x09tq\x1dRq\x1etq\x1fRq u.";
const BENIGN_P2: &[u8] = b"\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01]q\x02(K\x01G@\x04\x00\x00\x00\x00\x00\x00X\x01\x00\x00\x00xq\x03N\x88K\x01K\x02\x86q\x04eX\x01\x00\x00\x00bq\x05\x8a\x0d\x00\x00\x00@\xea\xedtF\xd0\x9c,\x9f\x0cX\x01\x00\x00\x00cq\x06c_codecs\nencode\nq\x07X\x02\x00\x00\x00yzq\x08X\x06\x00\x00\x00latin1q\x09\x86q\nRq\x0bX\x01\x00\x00\x00sq\x0cc__builtin__\nset\nq\x0d]q\x0eK\x01a\x85q\x0fRq\x10X\x02\x00\x00\x00fsq\x11c__builtin__\nfrozenset\nq\x12]q\x13K\x02a\x85q\x14Rq\x15X\x01\x00\x00\x00uq\x16X\x02\x00\x00\x00\xc3\xa9q\x17X\x03\x00\x00\x00negq\x18J\xfb\xff\xff\xffX\x03\x00\x00\x00bigq\x19\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\xc0X\x02\x00\x00\x00baq\x1ac__builtin__\nbytearray\nq\x1bh\x07X\x01\x00\x00\x00qq\x1ch\x09\x86q\x1dRq\x1e\x85q\x1fRq u.";
const BENIGN_P3: &[u8] = b"\x80\x03}q\x00(X\x01\x00\x00\x00aq\x01]q\x02(K\x01G@\x04\x00\x00\x00\x00\x00\x00X\x01\x00\x00\x00xq\x03N\x88K\x01K\x02\x86q\x04eX\x01\x00\x00\x00bq\x05\x8a\x0d\x00\x00\x00@\xea\xedtF\xd0\x9c,\x9f\x0cX\x01\x00\x00\x00cq\x06C\x02yzq\x07X\x01\x00\x00\x00sq\x08cbuiltins\nset\nq\x09]q\nK\x01a\x85q\x0bRq\x0cX\x02\x00\x00\x00fsq\x0dcbuiltins\nfrozenset\nq\x0e]q\x0fK\x02a\x85q\x10Rq\x11X\x01\x00\x00\x00uq\x12X\x02\x00\x00\x00\xc3\xa9q\x13X\x03\x00\x00\x00negq\x14J\xfb\xff\xff\xffX\x03\x00\x00\x00bigq\x15\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\xc0X\x02\x00\x00\x00baq\x16cbuiltins\nbytearray\nq\x17C\x01qq\x18\x85q\x19Rq\x1au.";
const BENIGN_P4: &[u8] = b"\x80\x04\x95\x9f\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a\x94]\x94(K\x01G@\x04\x00\x00\x00\x00\x00\x00\x8c\x01x\x94N\x88K\x01K\x02\x86\x94e\x8c\x01b\x94\x8a\x0d\x00\x00\x00@\xea\xedtF\xd0\x9c,\x9f\x0c\x8c\x01c\x94C\x02yz\x94\x8c\x01s\x94\x8f\x94(K\x01\x90\x8c\x02fs\x94(K\x02\x91\x94\x8c\x01u\x94\x8c\x02\xc3\xa9\x94\x8c\x03neg\x94J\xfb\xff\xff\xff\x8c\x03big\x94\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\xc0\x8c\x02ba\x94\x8c\x08builtins\x94\x8c\x09bytearray\x94\x93\x94C\x01q\x94\x85\x94R\x94u.";
const BENIGN_P5: &[u8] = b"\x80\x05\x95\x89\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a\x94]\x94(K\x01G@\x04\x00\x00\x00\x00\x00\x00\x8c\x01x\x94N\x88K\x01K\x02\x86\x94e\x8c\x01b\x94\x8a\x0d\x00\x00\x00@\xea\xedtF\xd0\x9c,\x9f\x0c\x8c\x01c\x94C\x02yz\x94\x8c\x01s\x94\x8f\x94(K\x01\x90\x8c\x02fs\x94(K\x02\x91\x94\x8c\x01u\x94\x8c\x02\xc3\xa9\x94\x8c\x03neg\x94J\xfb\xff\xff\xff\x8c\x03big\x94\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\xc0\x8c\x02ba\x94\x96\x01\x00\x00\x00\x00\x00\x00\x00q\x94u.";

// `pickle.dumps(INNER, protocol=2)`: bytes go through `_codecs.encode(str, 'latin1')`.
// joblib 1.6 `joblib.dump` of small arrays of many dtypes (protocols 2 and 4), of a
// depth-2 `DecisionTreeClassifier` fitted on iris (default protocol, and protocol 0).
const EMBEDDED_LATIN1_P2: &[u8] = b"\x80\x02c_codecs\nencode\nq\x00X:\x00\x00\x00\xc2\x80\x04\xc2\x95\x1f\x00\x00\x00\x00\x00\x00\x00\xc2\x8c\x02os\xc2\x94\xc2\x8c\x06system\xc2\x94\xc2\x93\xc2\x94\xc2\x8c\necho pwned\xc2\x94\xc2\x85\xc2\x94R\xc2\x94.q\x01X\x06\x00\x00\x00latin1q\x02\x86q\x03Rq\x04.";
const JOBLIB_ARRAYS_P2: &[u8] = b"\x80\x02}q\x00(X\x02\x00\x00\x00f8q\x01cjoblib.numpy_pickle\nNumpyArrayWrapper\nq\x02)\x81q\x03}q\x04(X\x08\x00\x00\x00subclassq\x05cnumpy\nndarray\nq\x06X\x05\x00\x00\x00shapeq\x07K\x03\x85q\x08X\x05\x00\x00\x00orderq\x09X\x01\x00\x00\x00Cq\nX\x05\x00\x00\x00dtypeq\x0bcnumpy\ndtype\nq\x0cX\x02\x00\x00\x00f8q\x0d\x89\x88\x87q\x0eRq\x0f(K\x03X\x01\x00\x00\x00<q\x10NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x11bX\n\x00\x00\x00allow_mmapq\x12\x88X\x1b\x00\x00\x00numpy_array_alignment_bytesq\x13K\x10ub\x08\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\x00@X\x02\x00\x00\x00U3q\x14h\x02)\x81q\x15}q\x16(h\x05h\x06h\x07K\x02\x85q\x17h\x09h\nh\x0bh\x0cX\x02\x00\x00\x00U2q\x18\x89\x88\x87q\x19Rq\x1a(K\x03h\x10NNNK\x08K\x04K\x08tq\x1bbh\x12\x88h\x13K\x10ub\x05\xff\xff\xff\xff\xffa\x00\x00\x00b\x00\x00\x00c\x00\x00\x00\x00\x00\x00\x00X\x03\x00\x00\x00objq\x1ch\x02)\x81q\x1d}q\x1e(h\x05h\x06h\x07K\x02\x85q\x1fh\x09h\nh\x0bh\x0cX\x02\x00\x00\x00O8q \x89\x88\x87q!Rq\"(K\x03X\x01\x00\x00\x00|q#NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?tq$bh\x12\x89h\x13K\x10ub\x80\x05\x95\x90\x00\x00\x00\x00\x00\x00\x00\x8c\x16numpy._core.multiarray\x94\x8c\x0c_reconstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87\x94R\x94(K\x01K\x02\x85\x94h\x03\x8c\x05dtype\x94\x93\x94\x8c\x02O8\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01|\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?t\x94b\x89]\x94(K\x01\x8c\x01x\x94et\x94b.X\x03\x00\x00\x00recq%h\x02)\x81q&}q'(h\x05h\x06h\x07K\x01\x85q(h\x09h\nh\x0bh\x0cX\x03\x00\x00\x00V12q)\x89\x88\x87q*Rq+(K\x03h#NX\x01\x00\x00\x00aq,X\x01\x00\x00\x00bq-\x86q.}q/(h,h\x0cX\x02\x00\x00\x00f4q0\x89\x88\x87q1Rq2(K\x03h\x10NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq3bK\x00\x86q4h-h\x0cX\x02\x00\x00\x00i8q5\x89\x88\x87q6Rq7(K\x03h\x10NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq8bK\x04\x86q9uK\x0cK\x01K\x10tq:bh\x12\x88h\x13K\x10ub\x07\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00X\x01\x00\x00\x00Fq;h\x02)\x81q<}q=(h\x05h\x06h\x07K\x02K\x02\x86q>h\x09h;h\x0bh\x0fh\x12\x88h\x13K\x10ub\x03\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00@\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\x08@X\x02\x00\x00\x00dtq?h\x02)\x81q@}qA(h\x05h\x06h\x07K\x01\x85qBh\x09h\nh\x0bh\x0cX\x02\x00\x00\x00M8qC\x89\x88\x87qDRqE(K\x04h\x10NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00N(c_codecs\nencode\nqFX\x01\x00\x00\x00sqGX\x06\x00\x00\x00latin1qH\x86qIRqJK\x01K\x01K\x01tqK\x86qLtqMbh\x12\x88h\x13K\x10ub\x0c\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00\x00\x00\x00\x00\x00\x00X\x01\x00\x00\x00eqNh\x02)\x81qO}qP(h\x05h\x06h\x07K\x00K\x02\x86qQh\x09h\nh\x0bh\x0cX\x02\x00\x00\x00i2qR\x89\x88\x87qSRqT(K\x03h\x10NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tqUbh\x12\x88h\x13K\x10ub\x0e\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xffu.";
const JOBLIB_ARRAYS_P4: &[u8] = b"\x80\x04\x95\xd9\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x02f8\x94\x8c\x13joblib.numpy_pickle\x94\x8c\x11NumpyArrayWrapper\x94\x93\x94)\x81\x94}\x94(\x8c\x08subclass\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94\x8c\x05shape\x94K\x03\x85\x94\x8c\x05order\x94\x8c\x01C\x94\x8c\x05dtype\x94h\x08\x8c\x05dtype\x94\x93\x94\x8c\x02f8\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94b\x8c\nallow_mmap\x94\x88\x8c\x1bnumpy_array_alignment_bytes\x94K\x10ub\x0b\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\x00@\x95D\x00\x00\x00\x00\x00\x00\x00\x8c\x02U3\x94h\x04)\x81\x94}\x94(h\x07h\nh\x0bK\x02\x85\x94h\x0dh\x0eh\x0fh\x11\x8c\x02U2\x94\x89\x88\x87\x94R\x94(K\x03h\x15NNNK\x08K\x04K\x08t\x94bh\x17\x88h\x18K\x10ub\n\xff\xff\xff\xff\xff\xff\xff\xff\xff\xffa\x00\x00\x00b\x00\x00\x00c\x00\x00\x00\x00\x00\x00\x00\x95M\x00\x00\x00\x00\x00\x00\x00\x8c\x03obj\x94h\x04)\x81\x94}\x94(h\x07h\nh\x0bK\x02\x85\x94h\x0dh\x0eh\x0fh\x11\x8c\x02O8\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01|\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?t\x94bh\x17\x89h\x18K\x10ub\x80\x05\x95\x90\x00\x00\x00\x00\x00\x00\x00\x8c\x16numpy._core.multiarray\x94\x8c\x0c_reconstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87\x94R\x94(K\x01K\x02\x85\x94h\x03\x8c\x05dtype\x94\x93\x94\x8c\x02O8\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01|\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?t\x94b\x89]\x94(K\x01\x8c\x01x\x94et\x94b.\x95\xa6\x00\x00\x00\x00\x00\x00\x00\x8c\x03rec\x94h\x04)\x81\x94}\x94(h\x07h\nh\x0bK\x01\x85\x94h\x0dh\x0eh\x0fh\x11\x8c\x03V12\x94\x89\x88\x87\x94R\x94(K\x03h(N\x8c\x01a\x94\x8c\x01b\x94\x86\x94}\x94(h1h\x11\x8c\x02f4\x94\x89\x88\x87\x94R\x94(K\x03h\x15NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bK\x00\x86\x94h2h\x11\x8c\x02i8\x94\x89\x88\x87\x94R\x94(K\x03h\x15NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bK\x04\x86\x94uK\x0cK\x01K\x10t\x94bh\x17\x88h\x18K\x10ub\x0f\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x95)\x00\x00\x00\x00\x00\x00\x00\x8c\x01F\x94h\x04)\x81\x94}\x94(h\x07h\nh\x0bK\x02K\x02\x86\x94h\x0dh@h\x0fh\x14h\x17\x88h\x18K\x10ub\x01\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00@\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\x08@\x95Z\x00\x00\x00\x00\x00\x00\x00\x8c\x02dt\x94h\x04)\x81\x94}\x94(h\x07h\nh\x0bK\x01\x85\x94h\x0dh\x0eh\x0fh\x11\x8c\x02M8\x94\x89\x88\x87\x94R\x94(K\x04h\x15NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00N(C\x01s\x94K\x01K\x01K\x01t\x94\x86\x94t\x94bh\x17\x88h\x18K\x10ub\x0c\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00\x00\x00\x00\x00\x00\x00\x95K\x00\x00\x00\x00\x00\x00\x00\x8c\x01e\x94h\x04)\x81\x94}\x94(h\x07h\nh\x0bK\x00K\x02\x86\x94h\x0dh\x0eh\x0fh\x11\x8c\x02i2\x94\x89\x88\x87\x94R\x94(K\x03h\x15NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bh\x17\x88h\x18K\x10ub\x03\xff\xff\xffu.";
const JOBLIB_TREE: &[u8] = b"\x80\x04\x95C\x02\x00\x00\x00\x00\x00\x00\x8c\x15sklearn.tree._classes\x94\x8c\x16DecisionTreeClassifier\x94\x93\x94)\x81\x94}\x94(\x8c\x09criterion\x94\x8c\x04gini\x94\x8c\x08splitter\x94\x8c\x04best\x94\x8c\x09max_depth\x94K\x02\x8c\x11min_samples_split\x94K\x02\x8c\x10min_samples_leaf\x94K\x01\x8c\x18min_weight_fraction_leaf\x94G\x00\x00\x00\x00\x00\x00\x00\x00\x8c\x0cmax_features\x94N\x8c\x0emax_leaf_nodes\x94N\x8c\x0crandom_state\x94K\x00\x8c\x15min_impurity_decrease\x94G\x00\x00\x00\x00\x00\x00\x00\x00\x8c\x0cclass_weight\x94N\x8c\x09ccp_alpha\x94G\x00\x00\x00\x00\x00\x00\x00\x00\x8c\x0dmonotonic_cst\x94N\x8c\x0en_features_in_\x94K\x04\x8c\nn_outputs_\x94K\x01\x8c\x08classes_\x94\x8c\x13joblib.numpy_pickle\x94\x8c\x11NumpyArrayWrapper\x94\x93\x94)\x81\x94}\x94(\x8c\x08subclass\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94\x8c\x05shape\x94K\x03\x85\x94\x8c\x05order\x94\x8c\x01C\x94\x8c\x05dtype\x94h\x1d\x8c\x05dtype\x94\x93\x94\x8c\x02i8\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94b\x8c\nallow_mmap\x94\x88\x8c\x1bnumpy_array_alignment_bytes\x94K\x10ub\x01\xff\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x95\x9f\x00\x00\x00\x00\x00\x00\x00\x8c\nn_classes_\x94\x8c\x16numpy._core.multiarray\x94\x8c\x06scalar\x94\x93\x94h)C\x08\x03\x00\x00\x00\x00\x00\x00\x00\x94\x86\x94R\x94\x8c\x0dmax_features_\x94K\x04\x8c\x05tree_\x94\x8c\x12sklearn.tree._tree\x94\x8c\x04Tree\x94\x93\x94K\x04h\x19)\x81\x94}\x94(h\x1ch\x1fh K\x01\x85\x94h\"h#h$h)h,\x88h-K\x10ub\x0f\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x03\x00\x00\x00\x00\x00\x00\x00\x95\x8d\x01\x00\x00\x00\x00\x00\x00K\x01\x87\x94R\x94}\x94(h\x09K\x02\x8c\nnode_count\x94K\x05\x8c\x05nodes\x94h\x19)\x81\x94}\x94(h\x1ch\x1fh K\x05\x85\x94h\"h#h$h&\x8c\x03V64\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01|\x94N(\x8c\nleft_child\x94\x8c\x0bright_child\x94\x8c\x07feature\x94\x8c\x09threshold\x94\x8c\x08impurity\x94\x8c\x0en_node_samples\x94\x8c\x17weighted_n_node_samples\x94\x8c\x12missing_go_to_left\x94t\x94}\x94(hIh&\x8c\x02i8\x94\x89\x88\x87\x94R\x94(K\x03h*NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bK\x00\x86\x94hJhUK\x08\x86\x94hKhUK\x10\x86\x94hLh&\x8c\x02f8\x94\x89\x88\x87\x94R\x94(K\x03h*NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bK\x18\x86\x94hMh\\K \x86\x94hNhUK(\x86\x94hOh\\K0\x86\x94hPh&\x8c\x02u1\x94\x89\x88\x87\x94R\x94(K\x03hHNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bK8\x86\x94uK@K\x01K\x10t\x94bh,\x88h-K\x10ub\x01\xff\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xa0\x99\x99\xe9?VUUUUU\xe5?\x96\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xc0b@\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x00\x002\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00I@\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xfc?\x00\x00\x00\x00\x00\x00\xe0?d\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00Y@\x01\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\xc0h\xd3\x16WH\x82\xc5?6\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00K@\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\xc0\xb0\xf9<b\xe5\xc6\xa5?.\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00G@\x00\x00\x00\x00\x00\x00\x00\x00\x950\x00\x00\x00\x00\x00\x00\x00\x8c\x06values\x94h\x19)\x81\x94}\x94(h\x1ch\x1fh K\x05K\x01K\x03\x87\x94h\"h#h$h\\h,\x88h-K\x10ub\x06\xff\xff\xff\xff\xff\xffUUUUUU\xd5?UUUUUU\xd5?UUUUUU\xd5?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xe0?\x00\x00\x00\x00\x00\x00\xe0?\x00\x00\x00\x00\x00\x00\x00\x00\x98\xd0^B{\x09\xed?B{\x09\xed%\xb4\xb7?\x00\x00\x00\x00\x00\x00\x00\x00d!\x0bY\xc8B\x96?\xf5\xa67\xbd\xe9M\xef?\x95 \x00\x00\x00\x00\x00\x00\x00ub\x8c\x10_sklearn_version\x94\x8c\x051.9.1\x94ub.";
const JOBLIB_TREE_P0: &[u8] = b"ccopy_reg\n_reconstructor\np0\n(csklearn.tree._classes\nDecisionTreeClassifier\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n(dp5\nVcriterion\np6\nVgini\np7\nsVsplitter\np8\nVbest\np9\nsVmax_depth\np10\nI2\nsVmin_samples_split\np11\nI2\nsVmin_samples_leaf\np12\nI1\nsVmin_weight_fraction_leaf\np13\nF0.0\nsVmax_features\np14\nNsVmax_leaf_nodes\np15\nNsVrandom_state\np16\nI0\nsVmin_impurity_decrease\np17\nF0.0\nsVclass_weight\np18\nNsVccp_alpha\np19\nF0.0\nsVmonotonic_cst\np20\nNsVn_features_in_\np21\nI4\nsVn_outputs_\np22\nI1\nsVclasses_\np23\ng0\n(cjoblib.numpy_pickle\nNumpyArrayWrapper\np24\ng2\nNtp25\nRp26\n(dp27\nVsubclass\np28\ncnumpy\nndarray\np29\nsVshape\np30\n(I3\ntp31\nsVorder\np32\nVC\np33\nsVdtype\np34\ncnumpy\ndtype\np35\n(Vi8\np36\nI00\nI01\ntp37\nRp38\n(I3\nV<\np39\nNNNI-1\nI-1\nI0\ntp40\nbsVallow_mmap\np41\nI01\nsVnumpy_array_alignment_bytes\np42\nI16\nsb\x08\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00sVn_classes_\np43\ncnumpy._core.multiarray\nscalar\np44\n(g38\nc_codecs\nencode\np45\n(V\x03\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\np46\nVlatin1\np47\ntp48\nRp49\ntp50\nRp51\nsVmax_features_\np52\nI4\nsVtree_\np53\ncsklearn.tree._tree\nTree\np54\n(I4\ng0\n(g24\ng2\nNtp55\nRp56\n(dp57\ng28\ng29\nsg30\n(I1\ntp58\nsg32\ng33\nsg34\ng38\nsg41\nI01\nsg42\nI16\nsb\x0c\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x03\x00\x00\x00\x00\x00\x00\x00I1\ntp59\nRp60\n(dp61\ng10\nI2\nsVnode_count\np62\nI5\nsVnodes\np63\ng0\n(g24\ng2\nNtp64\nRp65\n(dp66\ng28\ng29\nsg30\n(I5\ntp67\nsg32\ng33\nsg34\ng35\n(VV64\np68\nI00\nI01\ntp69\nRp70\n(I3\nV|\np71\nN(Vleft_child\np72\nVright_child\np73\nVfeature\np74\nVthreshold\np75\nVimpurity\np76\nVn_node_samples\np77\nVweighted_n_node_samples\np78\nVmissing_go_to_left\np79\ntp80\n(dp81\ng72\n(g35\n(Vi8\np82\nI00\nI01\ntp83\nRp84\n(I3\ng39\nNNNI-1\nI-1\nI0\ntp85\nbI0\ntp86\nsg73\n(g84\nI8\ntp87\nsg74\n(g84\nI16\ntp88\nsg75\n(g35\n(Vf8\np89\nI00\nI01\ntp90\nRp91\n(I3\ng39\nNNNI-1\nI-1\nI0\ntp92\nbI24\ntp93\nsg76\n(g91\nI32\ntp94\nsg77\n(g84\nI40\ntp95\nsg78\n(g91\nI48\ntp96\nsg79\n(g35\n(Vu1\np97\nI00\nI01\ntp98\nRp99\n(I3\ng71\nNNNI-1\nI-1\nI0\ntp100\nbI56\ntp101\nsI64\nI1\nI16\ntp102\nbsg41\nI01\nsg42\nI16\nsb\x0e\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xa0\x99\x99\xe9?VUUUUU\xe5?\x96\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xc0b@\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x00\x002\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00I@\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xfc?\x00\x00\x00\x00\x00\x00\xe0?d\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00Y@\x01\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\xc0h\xd3\x16WH\x82\xc5?6\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00K@\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\xc0\xb0\xf9<b\xe5\xc6\xa5?.\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00G@\x00\x00\x00\x00\x00\x00\x00\x00sVvalues\np103\ng0\n(g24\ng2\nNtp104\nRp105\n(dp106\ng28\ng29\nsg30\n(I5\nI1\nI3\ntp107\nsg32\ng33\nsg34\ng91\nsg41\nI01\nsg42\nI16\nsb\x0f\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xffUUUUUU\xd5?UUUUUU\xd5?UUUUUU\xd5?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xe0?\x00\x00\x00\x00\x00\x00\xe0?\x00\x00\x00\x00\x00\x00\x00\x00\x98\xd0^B{\x09\xed?B{\x09\xed%\xb4\xb7?\x00\x00\x00\x00\x00\x00\x00\x00d!\x0bY\xc8B\x96?\xf5\xa67\xbd\xe9M\xef?sbsV_sklearn_version\np108\nV1.9.1\np109\nsb.";

// joblib.dump of `np.frombuffer(b"cos\nsystem\n(S'echo pwned'\ntR.", 'u1')` to a file
// without `tell()` (no alignment padding; a plain `pickle.load` would run the bytes), and
// the same to a regular file (a padding-length byte protects the data).
const JOBLIB_UNALIGNED_PAYLOAD: &[u8] = b"\x80\x02cjoblib.numpy_pickle\nNumpyArrayWrapper\nq\x00)\x81q\x01}q\x02(X\x08\x00\x00\x00subclassq\x03cnumpy\nndarray\nq\x04X\x05\x00\x00\x00shapeq\x05K\x1d\x85q\x06X\x05\x00\x00\x00orderq\x07X\x01\x00\x00\x00Cq\x08X\x05\x00\x00\x00dtypeq\x09cnumpy\ndtype\nq\nX\x02\x00\x00\x00u1q\x0b\x89\x88\x87q\x0cRq\x0d(K\x03X\x01\x00\x00\x00|q\x0eNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x0fbX\n\x00\x00\x00allow_mmapq\x10\x88X\x1b\x00\x00\x00numpy_array_alignment_bytesq\x11Nubcos\nsystem\n(S'echo pwned'\ntR..";
const JOBLIB_ALIGNED_PAYLOAD: &[u8] = b"\x80\x02cjoblib.numpy_pickle\nNumpyArrayWrapper\nq\x00)\x81q\x01}q\x02(X\x08\x00\x00\x00subclassq\x03cnumpy\nndarray\nq\x04X\x05\x00\x00\x00shapeq\x05K\x1d\x85q\x06X\x05\x00\x00\x00orderq\x07X\x01\x00\x00\x00Cq\x08X\x05\x00\x00\x00dtypeq\x09cnumpy\ndtype\nq\nX\x02\x00\x00\x00u1q\x0b\x89\x88\x87q\x0cRq\x0d(K\x03X\x01\x00\x00\x00|q\x0eNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x0fbX\n\x00\x00\x00allow_mmapq\x10\x88X\x1b\x00\x00\x00numpy_array_alignment_bytesq\x11K\x10ub\x05\xff\xff\xff\xff\xffcos\nsystem\n(S'echo pwned'\ntR..";

/// `pickle.dumps` of `os.system('echo pwned')` as protocol 4 (STACK_GLOBAL through MEMOIZE).
const INNER: &[u8] = b"\x80\x04\x95\x1f\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06system\x94\x93\x94\x8c\necho pwned\x94\x85\x94R\x94.";
const INNER_B64: &str = "gASVHwAAAAAAAACMAm9zlIwGc3lzdGVtlJOUjAplY2hvIHB3bmVklIWUUpQu";
const INNER_HEX: &str =
    "8004951f000000000000008c026f73948c0673797374656d9493948c0a6563686f2070776e656494859452942e";

/// First three pickles of a `torch.save(..., _use_new_zipfile_serialization=False)` file
/// (magic number, protocol version, sys_info), as `pickle.dumps(x, protocol=2)`.
const TORCH_LEGACY_HEAD: &[u8] = b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19.\x80\x02M\xe9\x03.\x80\x02}q\x00(X\x10\x00\x00\x00protocol_versionq\x01M\xe9\x03X\x0d\x00\x00\x00little_endianq\x02\x88X\n\x00\x00\x00type_sizesq\x03}q\x04(X\x05\x00\x00\x00shortq\x05K\x02X\x03\x00\x00\x00intq\x06K\x04X\x04\x00\x00\x00longq\x07K\x04uu.";

// --- Helpers ------------------------------------------------------------------------

fn run(data: &[u8]) -> StreamAnalysis {
    analyze(data, &Limits::default())
}

fn run_with(data: &[u8], limits: Limits) -> StreamAnalysis {
    analyze(data, &limits)
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// SHORT_BINUNICODE of `s`.
fn su(s: &str) -> Vec<u8> {
    let mut v = vec![0x8c, s.len() as u8];
    v.extend_from_slice(s.as_bytes());
    v
}

/// BINBYTES of `b`.
fn binbytes(b: &[u8]) -> Vec<u8> {
    let mut v = vec![b'B'];
    v.extend_from_slice(&(b.len() as u32).to_le_bytes());
    v.extend_from_slice(b);
    v
}

/// BINUNICODE of `s`.
fn binunicode(s: &str) -> Vec<u8> {
    let mut v = vec![b'X'];
    v.extend_from_slice(&(s.len() as u32).to_le_bytes());
    v.extend_from_slice(s.as_bytes());
    v
}

fn has_import(a: &StreamAnalysis, module: &str, name: &str) -> bool {
    a.imports
        .iter()
        .any(|i| i.module == module && i.name == name && !i.computed)
}

fn global_call<'a>(a: &'a StreamAnalysis, module: &str, name: &str) -> Option<&'a Call> {
    a.calls.iter().find(
        |c| matches!(&c.callee, Callee::Global { module: m, name: n } if m == module && n == name),
    )
}

fn computed_calls(a: &StreamAnalysis) -> Vec<&str> {
    a.calls
        .iter()
        .filter_map(|c| match &c.callee {
            Callee::Computed(d) => Some(d.as_str()),
            Callee::Global { .. } => None,
        })
        .collect()
}

fn assert_clean(a: &StreamAnalysis, len: usize) {
    assert!(a.stopped.is_none(), "stopped: {:?}", a.stopped);
    assert_eq!(a.bytes, len as u64);
}

fn invalid_reason(a: &StreamAnalysis) -> (u64, &str) {
    match &a.stopped {
        Some(FormatError::Invalid { offset, reason }) => (*offset, reason.as_str()),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn limit_kind(a: &StreamAnalysis) -> LimitKind {
    match &a.stopped {
        Some(FormatError::LimitExceeded { limit, .. }) => *limit,
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> u64 {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("needle") as u64
}

// --- Benign streams -------------------------------------------------------------------

#[test]
fn benign_protocols_0_to_5_parse_cleanly() {
    let samples = [
        BENIGN_P0, BENIGN_P1, BENIGN_P2, BENIGN_P3, BENIGN_P4, BENIGN_P5,
    ];
    for (p, data) in samples.iter().enumerate() {
        let a = run(data);
        assert_clean(&a, data.len());
        assert_eq!(a.pickles.len(), 1, "p{p}");
        let s = a.pickles[0];
        assert!(s.complete);
        assert_eq!((s.start, s.end), (0, data.len() as u64));
        assert_eq!(
            s.protocol,
            if p >= 2 { Some(p as u8) } else { None },
            "p{p}"
        );
        assert_eq!(s.opcodes, a.opcodes);
        assert!(computed_calls(&a).is_empty(), "p{p}: {:?}", a.calls);
        assert!(a.builds_on_globals.is_empty() && a.extensions.is_empty() && a.embedded.is_empty());
        assert!(!a.torch_legacy);
        // Only the reconstructors Python itself uses for bytes, sets and bytearrays.
        for i in &a.imports {
            let ok = matches!(
                (i.module.as_str(), i.name.as_str()),
                ("_codecs", "encode")
                    | (
                        "__builtin__" | "builtins",
                        "set" | "frozenset" | "bytearray"
                    )
            );
            assert!(ok, "p{p}: unexpected import {i:?}");
        }
    }
    // Calls are rendered so a person sees what runs.
    let a = run(BENIGN_P3);
    assert_eq!(global_call(&a, "builtins", "set").unwrap().args, "([1],)");
    assert_eq!(
        global_call(&a, "builtins", "bytearray").unwrap().args,
        "(b'q',)"
    );
    let a = run(BENIGN_P0);
    assert_eq!(
        global_call(&a, "_codecs", "encode").unwrap().args,
        "('yz', 'latin1')"
    );
    assert_eq!(global_call(&a, "_codecs", "encode").unwrap().count, 2);
    assert!(run(BENIGN_P5).imports.is_empty());
}

#[test]
fn value_rendering_covers_literals() {
    // (None, True, -5, 2.5, 10**30, 'é', b'\x00', [], {'k': (1,)}, frozenset({2}))
    let data = b"\x80\x04cm\nf\n(N\x88J\xfb\xff\xff\xffG@\x04\x00\x00\x00\x00\x00\x00\x8a\x0d\x00\x00\x00@\xea\xedtF\xd0\x9c,\x9f\x0c\x8c\x02\xc3\xa9C\x01\x00]}\x8c\x01kK\x01\x85s(K\x02\x91tR.";
    let a = run(data);
    assert_clean(&a, data.len());
    assert_eq!(
        global_call(&a, "m", "f").unwrap().args,
        "(None, True, -5, 2.5, 1000000000000000000000000000000, 'é', b'\\x00', [], {'k': (1,)}, frozenset({2}))"
    );
}

#[test]
fn pop_pops_a_mark_on_top_like_the_c_unpickler() {
    let a = run(b"(0N.");
    assert_clean(&a, 4);
}

#[test]
fn sparse_memo_keys_work() {
    let a = run(b"\x80\x02Nr\xff\xff\xff\xff0j\xff\xff\xff\xff.");
    assert!(a.stopped.is_none(), "{:?}", a.stopped);
}

// --- Imports and calls (B16, B17, B19, B20) ------------------------------------------

#[test]
fn os_system_via_global_and_reduce_protocol_0() {
    let data = b"cos\nsystem\n(S'echo pwned'\ntR.";
    let a = run(data);
    assert_clean(&a, data.len());
    assert!(has_import(&a, "os", "system"));
    assert_eq!(a.imports[0].opcode, "GLOBAL");
    assert_eq!(a.imports[0].at.offset, 0);
    let c = global_call(&a, "os", "system").unwrap();
    assert_eq!(
        (c.opcode, c.args.as_str(), c.discarded),
        ("REDUCE", "('echo pwned',)", false)
    );
    assert_eq!(c.at.offset, find(data, b"R."));
    assert_eq!(c.at.opcode_index, 4);

    // As `pickle.dumps(..., protocol=0)` writes it (os.system lives in posix).
    let a = run(b"cposix\nsystem\np0\n(Vecho pwned\np1\ntp2\nRp3\n.");
    assert_eq!(
        global_call(&a, "posix", "system").unwrap().args,
        "('echo pwned',)"
    );
}

#[test]
fn os_system_via_stack_global_protocol_4() {
    let a = run(INNER);
    assert_clean(&a, INNER.len());
    assert_eq!(a.imports.len(), 1);
    assert_eq!(
        (a.imports[0].module.as_str(), a.imports[0].name.as_str()),
        ("os", "system")
    );
    assert_eq!(a.imports[0].opcode, "STACK_GLOBAL");
    assert!(!a.imports[0].computed);
    assert_eq!(
        global_call(&a, "os", "system").unwrap().args,
        "('echo pwned',)"
    );
}

#[test]
fn inst_obj_newobj_newobj_ex_are_calls() {
    let a = run(b"(S'echo pwned'\nios\nsystem\n.");
    assert!(a.stopped.is_none());
    assert_eq!(a.imports[0].opcode, "INST");
    let c = global_call(&a, "os", "system").unwrap();
    assert_eq!((c.opcode, c.args.as_str()), ("INST", "('echo pwned',)"));

    let a = run(b"(cos\nsystem\nS'echo pwned'\no.");
    assert!(a.stopped.is_none());
    let c = global_call(&a, "os", "system").unwrap();
    assert_eq!((c.opcode, c.args.as_str()), ("OBJ", "('echo pwned',)"));

    let a = run(b"\x80\x02cos\nsystem\nS'x'\n\x85\x81.");
    assert!(a.stopped.is_none());
    let c = global_call(&a, "os", "system").unwrap();
    assert_eq!((c.opcode, c.args.as_str()), ("NEWOBJ", "('x',)"));

    let a = run(b"\x80\x04cos\nsystem\n\x8c\x01x\x85}\x8c\x01kK\x01s\x92.");
    assert!(a.stopped.is_none());
    let c = global_call(&a, "os", "system").unwrap();
    assert_eq!(
        (c.opcode, c.args.as_str()),
        ("NEWOBJ_EX", "('x',) **{'k': 1}")
    );
}

#[test]
fn memo_indirected_stack_global_operands_b17() {
    // 'os' and 'system' are memoized, popped, and fetched back with BINGET.
    let data = cat(&[
        b"\x80\x04",
        &su("os"),
        b"\x940",
        &su("system"),
        b"\x940h\x00h\x01\x93)R.",
    ]);
    let a = run(&data);
    assert_clean(&a, data.len());
    assert!(has_import(&a, "os", "system"));
    assert!(global_call(&a, "os", "system").is_some());

    // The global itself memoized and called later: still a global callee.
    let data = cat(&[
        b"\x80\x04",
        &su("os"),
        &su("system"),
        b"\x93\x940N0h\x00)R.",
    ]);
    let a = run(&data);
    assert!(a.stopped.is_none(), "{:?}", a.stopped);
    assert!(global_call(&a, "os", "system").is_some());

    // An undefined memo key and a non-str memo value stop the analysis, as the loader does.
    let a = run(&cat(&[b"\x80\x04", &su("os"), b"h\x05\x93."]));
    let (off, why) = invalid_reason(&a);
    assert_eq!((off, why), (6, "memo key 5 is not defined"));
    let a = run(&cat(&[b"\x80\x04K\x01\x94", &su("system"), b"h\x00\x93."]));
    assert!(
        invalid_reason(&a)
            .1
            .contains("STACK_GLOBAL requires str operands, got int")
    );
    assert!(a.imports.is_empty());
}

#[test]
fn stack_global_operands_from_string_opcodes_b19() {
    for data in [
        &b"\x80\x04S'os'\nS'system'\n\x93)R."[..],
        &b"\x80\x04T\x02\x00\x00\x00osU\x06system\x93)R."[..],
        &b"\x80\x04Vos\nVsystem\n\x93)R."[..],
        &b"\x80\x04X\x02\x00\x00\x00os\x8d\x06\x00\x00\x00\x00\x00\x00\x00system\x93)R."[..],
    ] {
        let a = run(data);
        assert!(a.stopped.is_none(), "{:?}", a.stopped);
        assert!(has_import(&a, "os", "system"), "{a:?}");
    }
    // DUP'd operand: STACK_GLOBAL('os', 'os').
    let a = run(b"\x80\x04\x8c\x02os2\x93.");
    assert!(has_import(&a, "os", "os"));
    // bytes operands make the loader fail: malformed, not an import.
    let a = run(b"\x80\x04C\x02osC\x06system\x93.");
    assert!(invalid_reason(&a).1.contains("got bytes"));
}

#[test]
fn dotted_name_is_kept_as_written_b16() {
    let data = cat(&[
        b"\x80\x04",
        &su("posixpath"),
        &su("os.system"),
        b"\x93",
        &su("id"),
        b"\x85R.",
    ]);
    let a = run(&data);
    assert_clean(&a, data.len());
    assert!(has_import(&a, "posixpath", "os.system"));
    assert_eq!(
        global_call(&a, "posixpath", "os.system").unwrap().args,
        "('id',)"
    );
}

#[test]
fn build_on_a_global_b18() {
    let data = b"\x80\x04cnumpy\nprod\n}\x8c\x01a\x8c\x02ossb.";
    let a = run(data);
    assert_clean(&a, data.len());
    assert_eq!(a.builds_on_globals.len(), 1);
    let b = &a.builds_on_globals[0];
    assert_eq!(
        (b.module.as_str(), b.name.as_str(), b.state.as_str()),
        ("numpy", "prod", "{'a': 'os'}")
    );
    assert_eq!(b.at.offset, find(data, b"b."));

    // BUILD on an instance a call created is ordinary object state.
    let a = run(b"\x80\x04cm\nC\n)\x81}b.");
    assert!(a.builds_on_globals.is_empty());
}

#[test]
fn computed_callable_via_getattr_b14() {
    // getattr(str, 'join')('', ['a', 'b'])
    let data = b"cbuiltins\ngetattr\n(cbuiltins\nstr\nS'join'\ntR(S''\n(S'a'\nS'b'\nltR.";
    let a = run(data);
    assert_clean(&a, data.len());
    assert!(has_import(&a, "builtins", "getattr"));
    assert_eq!(
        global_call(&a, "builtins", "getattr").unwrap().args,
        "(<global builtins.str>, 'join')"
    );
    assert_eq!(
        computed_calls(&a),
        ["result of builtins.getattr(<global builtins.str>, 'join')"]
    );
    let c = a
        .calls
        .iter()
        .find(|c| matches!(c.callee, Callee::Computed(_)))
        .unwrap();
    assert_eq!(c.args, "('', ['a', 'b'])");
}

#[test]
fn stack_global_with_computed_operands_is_a_computed_import() {
    // STACK_GLOBAL(str('os'), 'system')
    let data = b"\x80\x04cbuiltins\nstr\nS'os'\n\x85R\x8c\x06system\x93)R.";
    let a = run(data);
    assert_clean(&a, data.len());
    let imp = a.imports.iter().find(|i| i.computed).unwrap();
    assert_eq!(imp.module, "<computed: result of builtins.str('os')>");
    assert_eq!(imp.name, "system");
    assert_eq!(imp.opcode, "STACK_GLOBAL");
    assert_eq!(
        computed_calls(&a),
        [
            "global imported by a computed name: module <computed: result of builtins.str('os')>, name system"
        ]
    );
}

#[test]
fn persistent_id_and_buffer_callees_are_computed() {
    let a = run(b"\x80\x05(\x8c\x07storagetQ)R\x97\x98)R.");
    assert!(a.stopped.is_none(), "{:?}", a.stopped);
    assert_eq!(
        computed_calls(&a),
        [
            "value returned by the loader's persistent_load",
            "out-of-band buffer"
        ]
    );
    let a = run(b"Pabc\n)R.");
    assert_eq!(computed_calls(&a).len(), 1);
    let a = run(b"P\xff\n.");
    assert!(invalid_reason(&a).1.contains("ASCII"));
}

#[test]
fn discarded_call_result_b21() {
    let a = run(b"cos\nsystem\n(S'x'\ntR0N.");
    assert!(a.stopped.is_none());
    assert!(global_call(&a, "os", "system").unwrap().discarded);
    // Memoized first: kept, not discarded.
    let a = run(b"\x80\x02cos\nsystem\n(S'x'\ntRq\x000N.");
    assert!(!global_call(&a, "os", "system").unwrap().discarded);
    // Discarded by POP_MARK.
    let a = run(b"(cos\nsystem\n(S'x'\ntR1N.");
    assert!(a.stopped.is_none(), "{:?}", a.stopped);
    assert!(global_call(&a, "os", "system").unwrap().discarded);
}

#[test]
fn repeated_global_calls_are_deduplicated_and_computed_ones_capped() {
    let mut data = b"\x80\x02cm\nf\nq\x00".to_vec();
    for _ in 0..5 {
        data.extend_from_slice(b"h\x00)R0");
    }
    data.extend_from_slice(b"N.");
    let a = run(&data);
    assert!(a.stopped.is_none());
    let c = global_call(&a, "m", "f").unwrap();
    assert_eq!((c.count, c.at.offset), (5, 12));

    let mut data = b"\x80\x02cm\nf\n)Rq\x00".to_vec();
    for _ in 0..1500 {
        data.extend_from_slice(b"h\x00)R0");
    }
    data.extend_from_slice(b"N.");
    let a = run(&data);
    assert!(a.stopped.is_none());
    assert_eq!(computed_calls(&a).len(), 1000);
    assert_eq!(a.omitted.computed_calls, 500);
}

#[test]
fn container_methods_on_globals_are_calls() {
    // sys.modules['os'] = 1 (SETITEM on a global dict), x.extend([...]) and set.add.
    let a = run(b"\x80\x02csys\nmodules\nX\x02\x00\x00\x00osK\x01s.");
    assert!(a.stopped.is_none());
    let c = global_call(&a, "sys", "modules.__setitem__").unwrap();
    assert_eq!((c.opcode, c.args.as_str()), ("SETITEM", "('os', 1)"));
    let a = run(b"\x80\x04cm\nx\n(K\x01K\x02e.");
    assert_eq!(global_call(&a, "m", "x.extend").unwrap().opcode, "APPENDS");
    let a = run(b"\x80\x04cm\nx\n(K\x01\x90.");
    assert_eq!(global_call(&a, "m", "x.add").unwrap().opcode, "ADDITEMS");
}

#[test]
fn extension_codes() {
    let a = run(b"\x80\x02\x82\x01)R\x83\x00\x01\x84\x00\x00\x00\x01..");
    assert_eq!(
        a.extensions.iter().map(|e| e.code).collect::<Vec<_>>(),
        [1, 256, 1 << 24]
    );
    assert_eq!(a.extensions[0].at.offset, 2);
    assert_eq!(
        computed_calls(&a),
        ["global registered as copyreg extension code 1"]
    );
    let a = run(b"\x80\x02\x84\x00\x00\x00\x00.");
    assert!(invalid_reason(&a).1.contains("EXT specifies code <= 0"));
}

// --- Broken and stacked streams (B8, B9, B11) -----------------------------------------

#[test]
fn broken_after_payload_keeps_findings_b8() {
    let data = b"\x80\x02cos\nsystem\nX\x0a\x00\x00\x00echo pwnedq\x00\x85R\xff";
    let a = run(data);
    assert!(has_import(&a, "os", "system"));
    assert_eq!(
        global_call(&a, "os", "system").unwrap().args,
        "('echo pwned',)"
    );
    let (off, why) = invalid_reason(&a);
    assert_eq!(off, data.len() as u64 - 1);
    assert_eq!(why, "invalid opcode 0xff");
    assert!(!a.pickles[0].complete);
}

#[test]
fn malformations_are_reported_with_offsets() {
    let cases: &[(&[u8], u64, &str)] = &[
        (b"N)R.", 2, "REDUCE callable is a NoneType"),
        (b"R.", 0, "stack underflow at REDUCE"),
        (b"Nt.", 1, "could not find MARK for TUPLE"),
        (b"(N(R.", 3, "stack underflow at REDUCE"),
        (b"(Nd.", 2, "odd number of items for DICT"),
        (b"\x80\x06N.", 0, "unsupported pickle protocol: 6"),
        (
            b"cm\nf\nN\x81.",
            6,
            "NEWOBJ arguments are a NoneType, not a tuple",
        ),
        (b"cm\nf\n]R.", 6, "REDUCE arguments are a list, not a tuple"),
        (b"(.", 1, "stack underflow at STOP"),
        (b"I12x\n.", 0, "invalid INT argument"),
        (
            b"S'abc\n.",
            0,
            "STRING argument is not a valid quoted string",
        ),
        (
            b"X\x01\x00\x00\x00\xff.",
            0,
            "BINUNICODE argument is not valid UTF-8",
        ),
        (b"Np-1\n.", 1, "negative PUT argument"),
        (
            b"\x8b\xff\xff\xff\xff.",
            0,
            "LONG pickle has negative byte count",
        ),
        (
            b"\x8d\xff\xff\xff\xff\xff\xff\xff\xff.",
            0,
            "BINUNICODE8 exceeds the maximum size",
        ),
    ];
    for (data, off, why) in cases {
        let a = run(data);
        assert_eq!(invalid_reason(&a), (*off, *why), "{data:?}");
    }
    // Truncations name the end of input.
    let a = run(b"\x80\x02X\x00\x00\x01\x00abc");
    assert!(
        matches!(a.stopped, Some(FormatError::Truncated { offset: 10, .. })),
        "{:?}",
        a.stopped
    );
    let a = run(b"\x80\x02N");
    assert!(matches!(
        a.stopped,
        Some(FormatError::Truncated { offset: 3, .. })
    ));
    let a = run(b"");
    assert!(matches!(
        a.stopped,
        Some(FormatError::Truncated { offset: 0, .. })
    ));
}

#[test]
fn claimed_lengths_never_size_allocations() {
    // 1 TiB BINBYTES8 with 3 bytes behind it: read through to EOF, then Truncated (also
    // beyond max_pickle_bytes: the input ends first).
    for data in [
        &b"\x80\x04\x8e\x00\x00\x00\x00\x00\x01\x00\x00abc"[..],
        &b"\x80\x04\x8e\x00\x00\x00\x00\x00\x00\x00\x01abc"[..],
    ] {
        let a = run(data);
        assert!(
            matches!(a.stopped, Some(FormatError::Truncated { offset: 14, .. })),
            "{:?}",
            a.stopped
        );
        assert_eq!(a.bytes, 14);
    }
    // 4 GiB BINUNICODE, 1 MiB LONG4, FRAME and a long line.
    for data in [
        &b"X\xff\xff\xff\xffab"[..],
        &b"\x8b\x00\x00\x10\x00ab"[..],
        &b"\x95\xff\xff\xff\xff\xff\xff\xff\x7fN."[..],
        &b"Vabc"[..],
    ] {
        let a = run(data);
        assert!(
            matches!(a.stopped, Some(FormatError::Truncated { .. })),
            "{data:?}: {:?}",
            a.stopped
        );
    }
}

#[test]
fn payload_in_a_later_stacked_pickle_b9() {
    let data = cat(&[b"\x80\x02N.", b"cos\nsystem\n(S'x'\ntR."]);
    let a = run(&data);
    assert_clean(&a, data.len());
    assert_eq!(a.pickles.len(), 2);
    assert_eq!(
        (a.pickles[1].start, a.pickles[1].end),
        (4, data.len() as u64)
    );
    assert!(global_call(&a, "os", "system").is_some());
    assert_eq!(a.imports[0].at.opcode_index, 3);
}

#[test]
fn garbage_after_stop_is_reported() {
    let a = run(b"\x80\x02N.hello world");
    let (off, why) = invalid_reason(&a);
    assert_eq!(off, 4);
    assert!(
        why.starts_with("data after STOP that is not a pickle"),
        "{why}"
    );
    assert_eq!(a.pickles.len(), 2);
    assert!(a.pickles[0].complete && !a.pickles[1].complete);
    // A broken second pickle that does look like one is reported as itself.
    let a = run(b"\x80\x02N.\x80\x02cos\nsystem\n)R\xff");
    assert_eq!(invalid_reason(&a).1, "invalid opcode 0xff");
    assert!(global_call(&a, "os", "system").is_some());
}

fn torch_legacy(obj: &[u8]) -> Vec<u8> {
    let keys = b"\x80\x02]q\x00X\x01\x00\x00\x000q\x01a.";
    let storage = [0u8; 64];
    cat(&[TORCH_LEGACY_HEAD, obj, keys, &8u64.to_le_bytes(), &storage])
}

#[test]
fn torch_legacy_is_recognised_and_raw_storage_skipped() {
    let obj = b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(ctorch\nFloatStorage\nX\x01\x00\x00\x000\x86QK\x00K\x08\x85K\x01\x85\x89ccollections\nOrderedDict\n)Rtq\x00Rq\x01.";
    let data = torch_legacy(obj);
    let a = run(&data);
    assert!(a.stopped.is_none(), "{:?}", a.stopped);
    assert!(a.torch_legacy);
    assert_eq!(a.pickles.len(), 5);
    assert_eq!(a.bytes, a.pickles[4].end);
    assert_eq!(a.bytes as usize, data.len() - 72);
    assert!(global_call(&a, "torch._utils", "_rebuild_tensor_v2").is_some());

    // Payload in the object pickle of a legacy file (B9) is found.
    let data = torch_legacy(b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R.");
    let a = run(&data);
    assert!(a.torch_legacy && a.stopped.is_none());
    assert!(global_call(&a, "os", "system").is_some());

    // The magic as a protocol 0 LONG is the same int.
    let data = cat(&[
        b"L119547037146038801333356L\n.",
        &TORCH_LEGACY_HEAD[15..],
        b"N.",
        b"\x80\x02].",
        &[0u8; 16],
    ]);
    let a = run(&data);
    assert_eq!(a.bytes as usize, data.len() - 16);
    assert!(a.torch_legacy, "{a:?}");
    assert_eq!(a.pickles.len(), 5);
}

#[test]
fn torch_magic_made_by_reduce_is_not_trusted_b11() {
    // int('119547037146038801333356'): a legacy-looking file whose magic is computed.
    let magic = b"\x80\x02cbuiltins\nint\nX\x18\x00\x00\x00119547037146038801333356\x85R.";
    let head = cat(&[magic, &TORCH_LEGACY_HEAD[15..]]);
    let data = cat(&[&head, b"N.", b"\x80\x02].", b"cos\nsystem\n(S'x'\ntR."]);
    let a = run(&data);
    assert!(!a.torch_legacy);
    // All six pickles analysed: the one a legacy reader would skip as storage included.
    assert_eq!(a.pickles.len(), 6);
    assert!(global_call(&a, "os", "system").is_some());
    assert_clean(&a, data.len());
}

// --- Embedded pickles (B25) -------------------------------------------------------------

fn assert_embedded_payload(a: &StreamAnalysis, enc: Encoding, at: u64) {
    assert_eq!(a.embedded.len(), 1, "{a:?}");
    let e = &a.embedded[0];
    assert_eq!((e.encoding, e.at.offset), (enc, at));
    assert!(has_import(&e.analysis, "os", "system"));
    assert!(global_call(&e.analysis, "os", "system").is_some());
    assert!(e.analysis.stopped.is_none(), "{:?}", e.analysis.stopped);
    // The outer stream's own findings do not include the inner ones.
    assert!(!has_import(a, "os", "system"));
}

#[test]
fn embedded_raw_base64_hex_and_latin1_pickles() {
    let data = cat(&[b"\x80\x04", &binbytes(INNER), b"."]);
    let a = run(&data);
    assert_clean(&a, data.len());
    assert_embedded_payload(&a, Encoding::Raw, 2);

    let data = cat(&[b"\x80\x04", &binunicode(INNER_B64), b"."]);
    let a = run(&data);
    assert_clean(&a, data.len());
    assert_embedded_payload(&a, Encoding::Base64, 2);

    let data = cat(&[b"\x80\x04", &binunicode(INNER_HEX), b"."]);
    let a = run(&data);
    assert_clean(&a, data.len());
    assert_embedded_payload(&a, Encoding::Hex, 2);

    // Protocol 2 bytes are a latin-1 str passed to _codecs.encode.
    let a = run(EMBEDDED_LATIN1_P2);
    assert_clean(&a, EMBEDDED_LATIN1_P2.len());
    assert_embedded_payload(&a, Encoding::Raw, 20);

    // Protocol 0 STRING with escapes.
    let mut s = b"S'".to_vec();
    for b in INNER {
        s.extend_from_slice(format!("\\x{b:02x}").as_bytes());
    }
    s.extend_from_slice(b"'\n.");
    let a = run(&s);
    assert_clean(&a, s.len());
    assert_embedded_payload(&a, Encoding::Raw, 0);

    // Not pickles: ordinary bytes and strings, including ones starting like base64/hex.
    let data = cat(&[
        b"\x80\x04",
        &binunicode("gAbcdefgh"),
        &binunicode("80021234"),
        &binbytes(b"\x80\x02\x00\x00"),
        b"\x87.",
    ]);
    let a = run(&data);
    assert_clean(&a, data.len());
    assert!(a.embedded.is_empty());
}

#[test]
fn large_embedded_pickle_is_analysed_while_streaming() {
    // A 2 MiB bytes constant: the inner pickle plus a 2 MiB string it pushes and pops.
    let mut inner = b"\x80\x04\x8e".to_vec();
    let pad = 2 << 20;
    inner.extend_from_slice(&(pad as u64).to_le_bytes());
    inner.extend(std::iter::repeat_n(b'a', pad));
    inner.extend_from_slice(b"0");
    inner.extend_from_slice(&INNER[11..]);
    let mut data = b"\x80\x04\x8e".to_vec();
    data.extend_from_slice(&(inner.len() as u64).to_le_bytes());
    data.extend_from_slice(&inner);
    data.extend_from_slice(b"N.");
    let a = run(&data);
    assert!(a.stopped.is_none(), "{:?}", a.stopped);
    assert_eq!(a.bytes, data.len() as u64);
    assert_eq!(a.embedded.len(), 1);
    let e = &a.embedded[0].analysis;
    assert!(global_call(e, "os", "system").is_some(), "{e:?}");
    assert_eq!(e.bytes, inner.len() as u64);
}

#[test]
fn embedded_depth_is_bounded() {
    // INNER inside a pickle inside a pickle inside the outer stream.
    let level1 = cat(&[b"\x80\x04", &binbytes(INNER), b"."]);
    let level2 = cat(&[b"\x80\x04", &binbytes(&level1), b"."]);
    let outer = cat(&[b"\x80\x04", &binbytes(&level2), b"."]);
    let a = run(&outer);
    let l2 = &a.embedded[0].analysis;
    let l1 = &l2.embedded[0].analysis;
    assert!(global_call(&l1.embedded[0].analysis, "os", "system").is_some());

    let a = run_with(
        &outer,
        Limits {
            max_depth: 1,
            ..Limits::default()
        },
    );
    assert!(a.stopped.is_none());
    let l2 = &a.embedded[0].analysis;
    assert!(l2.stopped.is_none());
    let l1 = &l2.embedded[0].analysis;
    assert_eq!(limit_kind(l1), LimitKind::Nesting);
    assert_eq!(l1.opcodes, 0);
}

#[test]
fn embedding_depth_has_a_hard_cap() {
    // 100 levels of raw embedding with max_depth raised to 1000: recursion stops at 64
    // levels (native stack), reported as a nesting limit on the innermost analysis.
    let mut data = INNER.to_vec();
    for _ in 0..100 {
        data = cat(&[b"\x80\x04", &binbytes(&data), b"."]);
    }
    let a = run_with(
        &data,
        Limits {
            max_depth: 1000,
            ..Limits::default()
        },
    );
    let mut level = &a;
    let mut depth = 0;
    while let Some(e) = level.embedded.first() {
        level = &e.analysis;
        depth += 1;
    }
    assert_eq!(depth, 65);
    assert_eq!(limit_kind(level), LimitKind::Nesting);
}

// --- Limits ----------------------------------------------------------------------------

#[test]
fn every_limit_stops_with_its_kind_and_keeps_findings() {
    let payload = b"cos\nsystem\n(S'x'\ntR.";
    let a = run_with(
        payload,
        Limits {
            max_opcodes: 3,
            ..Limits::default()
        },
    );
    assert_eq!(limit_kind(&a), LimitKind::Opcodes);
    assert!(has_import(&a, "os", "system"));
    assert_eq!(a.opcodes, 3);
    assert!(matches!(
        a.stopped,
        Some(FormatError::LimitExceeded {
            value: 4,
            max: 3,
            offset: 17,
            ..
        })
    ));

    let a = run_with(
        b"cos\nsystem\n\x94\x94\x94.",
        Limits {
            max_memo: 1,
            ..Limits::default()
        },
    );
    assert_eq!(limit_kind(&a), LimitKind::Memo);
    assert!(has_import(&a, "os", "system"));

    let a = run_with(
        b"cos\nsystem\nNNN.",
        Limits {
            max_stack: 3,
            ..Limits::default()
        },
    );
    assert_eq!(limit_kind(&a), LimitKind::Stack);
    assert!(has_import(&a, "os", "system"));

    let a = run_with(
        b"cos\nsystem\n(((N.",
        Limits {
            max_nesting: 2,
            ..Limits::default()
        },
    );
    assert_eq!(limit_kind(&a), LimitKind::Nesting);
    assert!(has_import(&a, "os", "system"));

    let a = run_with(
        BENIGN_P4,
        Limits {
            max_pickle_bytes: 40,
            ..Limits::default()
        },
    );
    assert_eq!(limit_kind(&a), LimitKind::PickleBytes);
    assert!(a.bytes <= 40);
    // A big argument is read through up to the byte limit, not beyond.
    let mut data = b"\x80\x04\x8e".to_vec();
    data.extend_from_slice(&(100u64 << 20).to_le_bytes());
    data.resize(3 << 20, b'x');
    let a = run_with(
        &data,
        Limits {
            max_pickle_bytes: 2 << 20,
            ..Limits::default()
        },
    );
    assert_eq!(limit_kind(&a), LimitKind::PickleBytes);
    assert_eq!(a.bytes, 2 << 20);
}

#[test]
fn memo_and_dup_expansion_stays_bounded_b37() {
    // A list that contains itself, DUP'd and fetched from the memo 100k times.
    let mut data = b"\x80\x02]q\x00h\x00a".to_vec();
    for _ in 0..100_000 {
        data.extend_from_slice(b"h\x002a");
    }
    data.extend_from_slice(b"cm\nf\nh\x00\x85R.");
    let a = run(&data);
    assert!(a.stopped.is_none(), "{:?}", a.stopped);
    let c = global_call(&a, "m", "f").unwrap();
    assert!(c.args.len() <= 210, "{}", c.args);
}

// --- joblib inline arrays ----------------------------------------------------------------

#[test]
fn joblib_dumps_analyse_to_the_end() {
    for (name, data) in [
        ("arrays p2", JOBLIB_ARRAYS_P2),
        ("arrays p4", JOBLIB_ARRAYS_P4),
        ("tree", JOBLIB_TREE),
        ("tree p0", JOBLIB_TREE_P0),
    ] {
        let a = run(data);
        assert_clean(&a, data.len());
        assert!(
            has_import(&a, "joblib.numpy_pickle", "NumpyArrayWrapper"),
            "{name}"
        );
        assert!(computed_calls(&a).is_empty(), "{name}: {:?}", a.calls);
        assert!(a.embedded.is_empty(), "{name}");
    }
    // The object array is a nested pickle, analysed as part of the stream.
    let a = run(JOBLIB_ARRAYS_P4);
    assert_eq!(a.pickles.len(), 2);
    assert!(a.pickles.iter().all(|p| p.complete));
    assert!(has_import(&a, "numpy._core.multiarray", "_reconstruct"));
    let a = run(JOBLIB_TREE);
    assert!(has_import(
        &a,
        "sklearn.tree._classes",
        "DecisionTreeClassifier"
    ));
    assert!(has_import(&a, "sklearn.tree._tree", "Tree"));
}

#[test]
fn joblib_array_data_that_is_a_pickle_is_reported() {
    // Unaligned: a plain pickle.load of this file would import os.system.
    let a = run(JOBLIB_UNALIGNED_PAYLOAD);
    assert_clean(&a, JOBLIB_UNALIGNED_PAYLOAD.len());
    assert!(!has_import(&a, "os", "system"));
    assert_eq!(a.embedded.len(), 1);
    assert_eq!(
        a.embedded[0].at.offset,
        find(JOBLIB_UNALIGNED_PAYLOAD, b"Nub") + 2
    );
    assert!(global_call(&a.embedded[0].analysis, "os", "system").is_some());
    // Aligned: the padding-length byte is no opcode, so no unpickler can run the data.
    let a = run(JOBLIB_ALIGNED_PAYLOAD);
    assert_clean(&a, JOBLIB_ALIGNED_PAYLOAD.len());
    assert!(a.embedded.is_empty());
}

#[test]
fn joblib_sizing_survives_retention_pressure() {
    // 450k tuples (36 MB of retained detail: more than the store's head), then
    // numpy.dtype('f8') made and memoized, then 900k more tuples (the dtype ages out of
    // the recent window), then a wrapper that reuses the dtype through BINGET.
    let filler = b"NNN\x870".repeat(450_000);
    let data = cat(&[
        b"\x80\x02",
        &filler,
        b"cnumpy\ndtype\nX\x02\x00\x00\x00f8\x89\x88\x87Rq\x01(K\x03X\x01\x00\x00\x00<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb0",
        &filler,
        &filler,
        b"cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81}(X\x05\x00\x00\x00shapeK\x02\x85X\x05\x00\x00\x00dtypeh\x01X\x1b\x00\x00\x00numpy_array_alignment_bytesK\x10ub",
        &[3, 0xff, 0xff, 0xff],
        &[0; 16],
        b".",
    ]);
    let a = run(&data);
    assert_clean(&a, data.len());
}

#[test]
fn joblib_wrapper_without_a_size_stops() {
    // The wrapper's state lacks `shape`.
    let data = b"\x80\x02cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81}b.";
    let a = run(data);
    let (off, why) = invalid_reason(&a);
    assert_eq!(off, data.len() as u64 - 2);
    assert!(why.contains("NumpyArrayWrapper: it has no shape"), "{why}");
}

// --- Scale: memory and speed -------------------------------------------------------------

/// Writes `pickle.dumps({f"k{i}": i for i in range(n)}, protocol=4)` (without frames)
/// lazily, chunk by chunk.
struct DictPickle {
    n: u32,
    next: u32,
    stage: u8,
    buf: Vec<u8>,
    pos: usize,
}

impl DictPickle {
    fn new(n: u32) -> Self {
        DictPickle {
            n,
            next: 0,
            stage: 0,
            buf: b"\x80\x04}\x94".to_vec(),
            pos: 0,
        }
    }

    fn refill(&mut self) {
        self.buf.clear();
        self.pos = 0;
        match self.stage {
            0 if self.next < self.n => {
                self.buf.push(b'(');
                let end = (self.next + 1000).min(self.n);
                for i in self.next..end {
                    let k = format!("k{i}");
                    self.buf.push(0x8c);
                    self.buf.push(k.len() as u8);
                    self.buf.extend_from_slice(k.as_bytes());
                    self.buf.push(0x94);
                    if i < 256 {
                        self.buf.extend_from_slice(&[b'K', i as u8]);
                    } else if i < 65536 {
                        self.buf.push(b'M');
                        self.buf.extend_from_slice(&(i as u16).to_le_bytes());
                    } else {
                        self.buf.push(b'J');
                        self.buf.extend_from_slice(&i.to_le_bytes());
                    }
                }
                self.buf.push(b'u');
                self.next = end;
            }
            0 => {
                self.buf.push(b'.');
                self.stage = 1;
            }
            _ => {}
        }
    }
}

impl Read for DictPickle {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() {
            self.refill();
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn peak_rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn two_million_entry_dict_is_fast_and_flat() {
    let n = 2_000_000u32;
    let t = Instant::now();
    let a = analyze(DictPickle::new(n), &Limits::default());
    let dt = t.elapsed();
    assert!(a.stopped.is_none(), "{:?}", a.stopped);
    assert_eq!(a.opcodes, 3 + 2 * 2000 + 3 * u64::from(n) + 1);
    assert!(a.imports.is_empty() && a.calls.is_empty());
    println!(
        "2M dict: {} opcodes, {} bytes in {dt:?} ({:.1} M opcodes/s), peak RSS of the test process {:?} KiB",
        a.opcodes,
        a.bytes,
        a.opcodes as f64 / dt.as_secs_f64() / 1e6,
        peak_rss_kib()
    );
}

/// A protocol-4 pickle with one `size`-byte BINBYTES8 argument, generated lazily, like
/// `pickle.dumps(numpy_array)` of a large float array.
struct BigBytesPickle {
    head: Vec<u8>,
    size: u64,
    done: u64,
    tail: &'static [u8],
    stage: u8,
}

impl Read for BigBytesPickle {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        loop {
            match self.stage {
                0 if !self.head.is_empty() => {
                    let n = out.len().min(self.head.len());
                    out[..n].copy_from_slice(&self.head[..n]);
                    self.head.drain(..n);
                    return Ok(n);
                }
                0 => self.stage = 1,
                1 if self.done < self.size => {
                    let n = (out.len() as u64).min(self.size - self.done) as usize;
                    out[..n].fill(0x3f);
                    self.done += n as u64;
                    return Ok(n);
                }
                1 => self.stage = 2,
                _ => {
                    let n = out.len().min(self.tail.len());
                    out[..n].copy_from_slice(&self.tail[..n]);
                    self.tail = &self.tail[n..];
                    return Ok(n);
                }
            }
        }
    }
}

#[test]
fn two_hundred_megabyte_argument_is_streamed() {
    let size = 200u64 << 20;
    // `pickle.dumps(np.zeros(50 * 2**20, 'f4'), protocol=4)`, without its FRAME and with
    // BINBYTES8 for the data.
    let mut head = b"\x80\x04\x8c\x16numpy._core.multiarray\x94\x8c\x0c_reconstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87\x94R\x94(K\x01J\x00\x00 \x03\x85\x94h\x03\x8c\x05dtype\x94\x93\x94\x8c\x02f4\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94b\x89\x8e".to_vec();
    head.extend_from_slice(&size.to_le_bytes());
    let total = head.len() as u64 + size + 5;
    let t = Instant::now();
    let a = analyze(
        BigBytesPickle {
            head,
            size,
            done: 0,
            tail: b"\x94t\x94b.",
            stage: 0,
        },
        &Limits::default(),
    );
    let dt = t.elapsed();
    assert!(a.stopped.is_none(), "{:?}", a.stopped);
    assert_eq!(a.bytes, total);
    assert!(has_import(&a, "numpy._core.multiarray", "_reconstruct"));
    println!(
        "200 MB argument: {total} bytes in {dt:?}, peak RSS of the test process {:?} KiB",
        peak_rss_kib()
    );
}

// --- Robustness --------------------------------------------------------------------------

fn samples() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = [
        BENIGN_P0,
        BENIGN_P1,
        BENIGN_P2,
        BENIGN_P4,
        BENIGN_P5,
        INNER,
        JOBLIB_ARRAYS_P4,
        JOBLIB_TREE_P0,
        JOBLIB_UNALIGNED_PAYLOAD,
        EMBEDDED_LATIN1_P2,
    ]
    .iter()
    .map(|s| s.to_vec())
    .collect();
    v.push(torch_legacy(b"N."));
    v.push(cat(&[b"\x80\x04", &binunicode(INNER_B64), b"."]));
    v
}

fn check_invariants(data: &[u8], a: &StreamAnalysis) {
    assert!(a.bytes <= data.len() as u64);
    for p in &a.pickles {
        assert!(p.start <= p.end && p.end <= a.bytes);
    }
    if let Some(e) = &a.stopped {
        assert!(e.offset() <= data.len() as u64, "{e:?}");
    }
    for e in &a.embedded {
        assert!(e.at.offset < a.bytes.max(1));
    }
}

#[test]
fn every_truncation_is_handled() {
    for s in samples() {
        for n in 0..s.len() {
            let a = run(&s[..n]);
            check_invariants(&s[..n], &a);
            assert!(
                a.stopped.is_some()
                    || a.torch_legacy
                    || n == 0
                    || a.pickles.last().is_some_and(|p| p.complete),
                "prefix {n} of {} parsed as complete",
                s.len()
            );
        }
    }
}

#[test]
fn random_bit_flips_never_panic() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rng = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for s in samples() {
        for _ in 0..2000 {
            let mut d = s.clone();
            for _ in 0..(1 + rng() % 4) {
                let i = (rng() % d.len() as u64) as usize;
                d[i] ^= 1 << (rng() % 8);
            }
            let a = run(&d);
            check_invariants(&d, &a);
        }
    }
}

// --- Content detection -----------------------------------------------------------------

#[test]
fn looks_like_pickle_accepts_pickles() {
    for s in [
        BENIGN_P0,
        BENIGN_P1,
        BENIGN_P2,
        BENIGN_P3,
        BENIGN_P4,
        BENIGN_P5,
        INNER,
        JOBLIB_TREE_P0,
    ] {
        assert!(looks_like_pickle(&s[..s.len().min(4096)]), "{:?}", &s[..20]);
    }
    for s in [
        &b"cos\nsystem\n(S'echo pwned'\ntR."[..],
        b"cos\nsystem\n\xff",
        b"(S'echo pwned'\nios\nsystem\n.",
        b"(cos\nsystem\nS'x'\no.",
        b"N.",
        b"]q\x00(K\x01K\x02e.",
        b"\x80\x02N.",
        b"\x80\x00N",
        b"N.\n",
        b"N.N.\x80\x02N.",
    ] {
        assert!(looks_like_pickle(s), "{s:?}");
    }
}

#[test]
fn looks_like_pickle_rejects_other_content() {
    let mut safetensors = 0x138u64.to_le_bytes().to_vec();
    safetensors
        .extend_from_slice(br#"{"weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#);
    for s in [
        &b""[..],
        b"Hello world, this is a plain text file.\n",
        b"Note: the model was trained on...\n",
        br#"{"architectures": ["BertModel"], "hidden_size": 768}"#,
        b"[1, 2, 3]",
        b"# Model card\n\nThis model...\n",
        b"import os\nimport sys\nprint(os.getcwd())\n",
        b"def forward(self, x):\n    return x\n",
        b"from torch import nn\n",
        b"class Foo:\n    pass\n",
        b"0.5,0.3\n1,2\n",
        b"key: value\nother: 1\n",
        b"#!/bin/sh\necho hi\n",
        b"<html><body></body></html>",
        b"<?xml version=\"1.0\"?>",
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00archive/data.pkl",
        b"PK\x05\x06\x00\x00\x00\x00",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
        b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
        &safetensors,
        b"GGUF\x03\x00\x00\x00\x23\x01\x00\x00\x00\x00\x00\x00\x19\x00\x00\x00\x00\x00\x00\x00",
        b"BZh91AY&SY",
        b"\xfd7zXZ\x00\x00",
        b"7z\xbc\xaf\x27\x1c",
        b"\x89HDF\r\n\x1a\n",
        b"\x08\x01\x12\x0bonnx-model",
        b"\x80",
        b"\x80\x06N.",
        b"\x80\x02\x00",
        b"N",
        b"NN0",
        b"N.B. this file is not a pickle",
    ] {
        assert!(!looks_like_pickle(s), "{s:?}");
    }
}

// --- Development aid ---------------------------------------------------------------------

/// Analyses the file named by `PICKLE_FILE` and prints a summary (`PICKLE_FULL=1` for
/// everything). Used to measure real files:
/// `cargo test --release -p airlock-formats --test pickle --no-run`, then
/// `PICKLE_FILE=f /usr/bin/time -v target/release/deps/pickle-* --ignored --exact dump_file --nocapture`.
#[test]
#[ignore = "development aid; needs PICKLE_FILE"]
fn dump_file() {
    let Ok(path) = std::env::var("PICKLE_FILE") else {
        return;
    };
    let file = std::fs::File::open(&path).expect("open PICKLE_FILE");
    let t = Instant::now();
    let a = analyze(file, &Limits::default());
    let dt = t.elapsed();
    if std::env::var("PICKLE_FULL").is_ok() {
        println!("{a:#?}");
    } else {
        println!(
            "pickles={} imports={} calls={} builds={} ext={} embedded={} opcodes={} bytes={} torch_legacy={} stopped={:?}",
            a.pickles.len(),
            a.imports.len(),
            a.calls.len(),
            a.builds_on_globals.len(),
            a.extensions.len(),
            a.embedded.len(),
            a.opcodes,
            a.bytes,
            a.torch_legacy,
            a.stopped
        );
    }
    println!(
        "elapsed {dt:?}, {:.1} M opcodes/s, peak RSS {:?} KiB",
        a.opcodes as f64 / dt.as_secs_f64() / 1e6,
        peak_rss_kib()
    );
}

#[test]
fn in_data_a_proto_magic_must_also_parse() {
    // Real pickles and a payload followed by garbage still count.
    for s in [BENIGN_P2, BENIGN_P4, INNER] {
        assert!(looks_like_pickle_in_data(s));
    }
    let mut broken = b"\x80\x02cposix\nsystem\nX\x04\x00\x00\x00echo\x85R".to_vec();
    broken.extend_from_slice(b"\xff\xfe\xfd");
    assert!(looks_like_pickle_in_data(&broken));
    // Float data that happens to start with PROTO 2 or 4 does not.
    for data in [
        &b"\x80\x02B\x99\x01\x3f\x7a\x10\xc0\x3e\x00\x01\x02\x03\xa1\xb2\xc3\xd4"[..],
        b"\x80\x04\x83?\xfc\xac(@N\xa7\xb5\xbf\x00\xdb\x14@",
    ] {
        assert!(
            looks_like_pickle(data),
            "the lenient check takes PROTO at its word"
        );
        assert!(!looks_like_pickle_in_data(data), "{data:?}");
    }
}

"""Writes the GGUF fixtures with the `gguf` Python package (0.19):
python3 -m venv /tmp/ggvenv && /tmp/ggvenv/bin/pip install gguf numpy && /tmp/ggvenv/bin/python make.py"""
import numpy as np
import gguf

CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
LLAMA3 = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}"
    "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
)
SSTI_MRO = "{{ ''.__class__.__mro__[1].__subclasses__() }}" + CHATML
SSTI_CYCLER = "{{ cycler.__init__.__globals__.os.popen('id').read() }}" + CHATML


def write(path, template, variants=None):
    w = gguf.GGUFWriter(path, "llama")
    w.add_name("airlock-fixture")
    w.add_context_length(128)
    w.add_tokenizer_model("gpt2")
    w.add_token_list(["<s>", "</s>", "a", "b"])
    w.add_chat_template(template if variants is None else [{"name": "default", "template": template}] + variants)
    w.add_tensor("tok_embd.weight", np.arange(32, dtype=np.float32).reshape(4, 8))
    w.add_tensor("output_norm.weight", np.ones(8, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


write("benign_chatml.gguf", CHATML)
write("benign_llama3.gguf", LLAMA3, [{"name": "tool_use", "template": CHATML}])
write("ssti_mro.gguf", SSTI_MRO)
write("ssti_cycler.gguf", SSTI_CYCLER)

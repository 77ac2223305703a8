import os
from datasets import load_dataset
from openai import OpenAI
from transformers import AutoModelForSequenceClassification, AutoTokenizer
from huggingface_hub import hf_hub_download

BASE = "google-bert/bert-base-uncased"
# model = AutoModel.from_pretrained("commented/out")
tokenizer = AutoTokenizer.from_pretrained(BASE, revision="86b5e0934494bd15c9632b12f734a8a67f723594")
model = AutoModelForSequenceClassification.from_pretrained(
    "./models/finetuned",
    num_labels=2, trust_remote_code=True,
)
text = "from_pretrained('not/a-call') inside a string"
reviews = load_dataset("stanfordnlp/imdb", "plain_text", split="train")
local = load_dataset("csv", data_files="data/reviews/train.csv")
weights = hf_hub_download(repo_id="org/tiny", filename="model.safetensors", revision="main")
dynamic = AutoModel.from_pretrained(f"{os.environ['ORG']}/model")

client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])
reply = client.chat.completions.create(
    model="gpt-4o-mini",
    messages=[{"role": "user", "content": "hi"}],
)
archive = zipfile.ZipFile("x.zip").extractall(pwd=None, password="not-an-api-key")
backup = OpenAI(base_url="http://localhost:8000/v1?token=abc", api_key="sk-proj-abcdefghijklmnopqrstuvwxyz0123")

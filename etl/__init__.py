"""ETL for plait: force extracts and data.police.uk files into one warehouse."""

"""The client's support network: members, confidentiality commitments, information flows."""

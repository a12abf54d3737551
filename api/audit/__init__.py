"""Who read which personal data, when and from where: the audit log of reads."""

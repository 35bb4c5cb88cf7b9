# The seed's SDK example, unchanged except for its import line.
# Needs the database it names:  psql -U postgres -c "CREATE USER qenex WITH PASSWORD 'secure_password';"
#                               psql -U postgres -c "CREATE DATABASE qenex_financial OWNER qenex;"
# Run from the repository root:  .venv/bin/python examples/sdk_quickstart.py
import asyncio
from decimal import Decimal
from qenex.kernel import FinancialKernel, TransactionType

async def main():
    # Initialize the kernel
    config = {
        'database': {
            'host': 'localhost',
            'port': 5432,
            'user': 'qenex',
            'password': 'secure_password',
            'database': 'qenex_financial'
        }
    }
    
    kernel = FinancialKernel(config)
    await kernel.initialize()
    
    # Create accounts
    account1 = await kernel.create_account(
        owner_id='user_001',
        account_type='CHECKING',
        currency='USD',
        initial_balance=Decimal('10000.00')
    )
    
    account2 = await kernel.create_account(
        owner_id='user_002',
        account_type='SAVINGS',
        currency='USD'
    )
    
    # Process transaction
    transaction_id = await kernel.process_transaction(
        TransactionType.TRANSFER,
        from_account=account1.id,
        to_account=account2.id,
        amount=Decimal('500.00'),
        currency='USD',
        metadata={'description': 'Monthly transfer'}
    )
    
    print(f"Transaction {transaction_id} completed")
    
    # Check balances
    balance1 = await kernel.get_account_balance(account1.id)
    balance2 = await kernel.get_account_balance(account2.id)
    
    print(f"Account 1: ${balance1}")
    print(f"Account 2: ${balance2}")
    
    await kernel.shutdown()

asyncio.run(main())
